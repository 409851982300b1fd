// Tests of StackPool (src/stack_pool.hpp): a finished fiber's stack serves the next fiber of the
// same size and no other, the pool keeps no more than its capacity, a reused stack still catches an
// overflow with its guard page, and (under AddressSanitizer) a fiber on a reused stack is not
// blamed for the red zones its predecessor left behind.
#include "ch05-coroutines/fibers/src/fiber.hpp"
#include "ch05-coroutines/fibers/src/sanitizers.hpp"
#include "ch05-coroutines/fibers/src/stack.hpp"
#include "ch05-coroutines/fibers/src/stack_pool.hpp"
#include "ch05-coroutines/fibers/src/use_stack.hpp"

#include <doctest/doctest.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

using namespace ch05::fibers;

constexpr std::size_t kKiB = 1024;

// What a forked child wrote to stderr and how it ended; the wait is bounded (killed after 20 s).
struct ChildEnd {
    std::string err;
    int status = -1; // exit status, or -1 when killed by a signal or the limit
};

template <class F>
ChildEnd in_child(F&& f) {
    int pipe_fds[2];
    REQUIRE(pipe(pipe_fds) == 0);
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        dup2(pipe_fds[1], STDERR_FILENO);
        close(pipe_fds[0]);
        close(pipe_fds[1]);
        _exit(f());
    }
    close(pipe_fds[1]);
    ChildEnd end;
    char buffer[256];
    pollfd p{pipe_fds[0], POLLIN, 0};
    while (poll(&p, 1, 20'000) == 1) {
        const ssize_t n = read(pipe_fds[0], buffer, sizeof buffer);
        if (n <= 0) {
            break;
        }
        end.err.append(buffer, static_cast<std::size_t>(n));
    }
    close(pipe_fds[0]);
    // The pipe is closed when the child exits, but it may not be reaped yet: ask again for up to
    // 20 s (10 ms apart), then kill it.
    int status = 0;
    bool ended = false;
    for (int i = 0; i < 2000 && !ended; ++i) {
        ended = waitpid(pid, &status, WNOHANG) == pid;
        if (!ended) {
            usleep(10'000);
        }
    }
    if (!ended) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        return end;
    }
    end.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return end;
}

} // namespace

TEST_CASE("a finished fiber's stack serves the next fiber of the same size") {
    StackPool::shared().set_capacity(StackPool::kDefaultCapacity);
    const void* first = nullptr;
    {
        Fiber fiber([] {}, 16 * kKiB);
        fiber.resume();
        first = fiber.stack().bottom();
    }
    CHECK(StackPool::shared().kept() >= 1);
    Fiber same([] {}, 16 * kKiB);
    CHECK(same.stack().bottom() == first);
    Fiber bigger([] {}, 32 * kKiB);
    CHECK(bigger.stack().bottom() != first);
    CHECK(bigger.stack().size() == 32 * kKiB);
}

TEST_CASE("the pool hands out only stacks of the size asked for") {
    StackPool pool(4);
    pool.give(Stack(16 * kKiB));
    pool.give(Stack(64 * kKiB));
    const Stack big = pool.take(64 * kKiB);
    CHECK(big.size() == 64 * kKiB);
    const Stack small = pool.take(16 * kKiB);
    CHECK(small.size() == 16 * kKiB);
    CHECK(pool.kept() == 0);
    const Stack other = pool.take(24 * kKiB); // none of that size kept: a new one
    CHECK(other.size() == 24 * kKiB);
}

TEST_CASE("the pool keeps no more stacks than its capacity") {
    StackPool pool(2);
    for (int i = 0; i < 5; ++i) {
        pool.give(Stack(16 * kKiB));
    }
    CHECK(pool.kept() == 2);
    pool.set_capacity(1);
    CHECK(pool.kept() == 1);
    pool.set_capacity(0);
    CHECK(pool.kept() == 0);
    pool.give(Stack(16 * kKiB));
    CHECK(pool.kept() == 0);
}

TEST_CASE("an overflow on a reused stack is caught by its guard page like on a fresh one") {
    const ChildEnd end = in_child([] {
        const void* first = nullptr;
        {
            // The first fiber touches most of the stack, then ends and gives it back.
            Fiber warm([] { use_stack(12); }, 16 * kKiB);
            warm.resume();
            first = warm.stack().bottom();
        }
        Fiber overflow([] { use_stack(64); }, 16 * kKiB);
        if (overflow.stack().bottom() != first) {
            return 3; // not reused: the test would prove nothing
        }
        overflow.resume();
        return 0; // not caught: ran through the guard page and survived
    });
    INFO("stderr: " << end.err);
    CHECK(end.status == 1);
    CHECK(end.err == "error: fiber stack overflow (16 KiB stack)\n");
}

TEST_CASE("a stack given back to the pool carries no AddressSanitizer marks from its last fiber") {
    // Under AddressSanitizer the last frames of a finished fiber (its entry function and the final
    // switch) never return, so the red zones around their variables would stay marked in ASan's
    // shadow memory, and the next fiber's variables placed there would be reported as overflows.
    // The pool clears them. Without ASan the shadow does not exist; the test then only checks
    // that the reused stack is usable.
    StackPool::shared().set_capacity(StackPool::kDefaultCapacity);
    const void* first = nullptr;
    {
        Fiber fiber([] { use_stack(4); }, 16 * kKiB);
        fiber.resume();
        first = fiber.stack().bottom();
    }
    std::size_t sum = 0;
    Fiber reuse(
        [&sum] {
            char frame[8 * 1024];
            std::memset(frame, 1, sizeof frame);
            for (const char c : frame) {
                sum += static_cast<std::size_t>(c);
            }
        },
        16 * kKiB);
    REQUIRE(reuse.stack().bottom() == first);
#if defined(CH05_FIBERS_ASAN)
    CHECK(__asan_region_is_poisoned(reuse.stack().bottom(), reuse.stack().size()) == nullptr);
#endif
    reuse.resume();
    CHECK(sum == 8 * 1024);
}
