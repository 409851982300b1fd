// Tests of the UringReactor (uring_reactor.hpp) and its leaf futures: the body through the ring,
// a refused connect, a timer, the ownership rule (an operation's buffer lives until its
// completion, however early its future is dropped), cancellation, and every descriptor closed.
// Each test reports itself skipped, with the kernel's reason, where io_uring is unavailable.
#include "ch04-executor/src/executor.hpp"
#include "ch04-executor/src/uring_http_get_future.hpp"
#include "ch04-executor/src/uring_reactor.hpp"
#include "ch04-executor/src/uring_sleep.hpp"

#include "ch02-epoll-reactor/tests/ring_support.hpp"
#include "ch02-epoll-reactor/tests/support.hpp"
#include "helpers.hpp"

#include <common/delay_server.hpp>
#include <common/http.hpp>
#include <common/test_support/misbehaving_server.hpp>
#include <common/test_support/resources.hpp>

#include <doctest/doctest.h>

#include <cerrno>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

using namespace ch04;
using namespace ch04::test;

namespace {

std::unique_ptr<Future<std::string>> uring_get(UringReactor& reactor,
                                               const common::Endpoint& server, std::string path) {
    return std::make_unique<UringHttpGetFuture>(reactor, server, std::move(path), false);
}

// Waits (bounded) until `done()` is true; false if it never became true.
template <class Done>
bool eventually(Done done, std::chrono::milliseconds limit = std::chrono::seconds(5)) {
    const auto give_up = Clock::now() + limit;
    while (!done()) {
        if (Clock::now() > give_up) {
            return false;
        }
        std::this_thread::yield();
    }
    return true;
}

// Holds the reactor thread at the start of its turn while closed: a test can then look at the
// state the reactor has *not* acted on yet, without racing it.
class Gate {
public:
    void close() {
        std::lock_guard lock(mutex_);
        open_ = false;
    }
    void open() {
        {
            std::lock_guard lock(mutex_);
            open_ = true;
        }
        condition_.notify_all();
    }
    void pass() {
        std::unique_lock lock(mutex_);
        condition_.wait(lock, [this] { return open_; });
    }

private:
    std::mutex mutex_;
    std::condition_variable condition_;
    bool open_ = true;
};

} // namespace

TEST_CASE("uring: UringHttpGetFuture gets the body, and every operation and descriptor is gone") {
    if (ch02::test::skip_without_ring()) {
        return;
    }
    Watchdog dog;
    DescriptorCheck descriptors;
    common::DelayServer server;
    UringReactor reactor;
    Outcome<std::string> outcome;
    Executor executor(quiet());
    executor.block_on(make_task<Capture<std::string>>(
        uring_get(reactor, server.endpoint(), common::delay_path(50, "hello ring")), outcome));
    CHECK(outcome.error.empty());
    CHECK(outcome.value == std::optional<std::string>("hello ring"));
    CHECK(reactor.in_flight() == 0);
    // socket, close, and at least one io_uring_enter: counted by the code, not assumed.
    CHECK(reactor.syscalls() >= 3);
}

TEST_CASE("uring: a refused connect is the task's error, with the kernel's reason") {
    if (ch02::test::skip_without_ring()) {
        return;
    }
    Watchdog dog;
    DescriptorCheck descriptors;
    common::test::RefusedPort refused;
    UringReactor reactor;
    Outcome<std::string> outcome;
    Executor executor(quiet());
    executor.block_on(
        make_task<Capture<std::string>>(uring_get(reactor, refused.endpoint(), "/0/x"), outcome));
    CHECK(outcome.error == "connect " + refused.endpoint().to_string() + ": Connection refused");
    CHECK(reactor.in_flight() == 0);
}

TEST_CASE("uring: UringSleep is ready after its duration, not before") {
    if (ch02::test::skip_without_ring()) {
        return;
    }
    Watchdog dog;
    UringReactor reactor;
    Executor executor(quiet());
    const auto start = Clock::now();
    executor.block_on(make_task<UringSleep>(reactor, std::chrono::milliseconds(60)));
    CHECK(Clock::now() - start >= std::chrono::milliseconds(60));
    CHECK(reactor.in_flight() == 0);
}

TEST_CASE("uring: a recv in flight keeps its buffer alive after its owner let go, until it "
          "completes") {
    if (ch02::test::skip_without_ring()) {
        return;
    }
    Watchdog dog;
    DescriptorCheck descriptors;
    auto pair = ch02::test::tcp_pair();
    UringReactor reactor;
    auto queue = std::make_shared<ReadyQueue>();
    std::weak_ptr<Operation> watch;
    {
        auto op = std::make_shared<Operation>();
        op->kind = Operation::Kind::Recv;
        op->socket = std::make_shared<common::Fd>(std::move(pair.near));
        op->data.resize(16);
        watch = op;
        reactor.submit(op, Waker(queue, 1));
    } // the owner's share is gone, with nothing sent: the kernel may still write into the buffer
    CHECK_FALSE(watch.expired());
    CHECK(reactor.in_flight() == 1);
    ch02::test::send_text(pair.far, "x");
    // The completion arrives; only then does the reactor let the buffer go.
    CHECK(eventually([&] { return watch.expired(); }));
    CHECK(reactor.in_flight() == 0);
}

TEST_CASE("uring: dropping a future mid-recv cancels the recv, and its buffer lives until the "
          "completion arrives") {
    if (ch02::test::skip_without_ring()) {
        return;
    }
    Watchdog dog;
    DescriptorCheck descriptors;
    common::test::MisbehavingServer silent(common::test::Misbehavior::Silent);
    Gate gate;
    UringReactor reactor(UringReactor::TestHooks{.at_turn_start = [&gate] { gate.pass(); }});
    auto queue = std::make_shared<ReadyQueue>();
    const Waker waker(queue, 1);

    auto get = std::make_unique<UringHttpGetFuture>(reactor, silent.endpoint(), "/0/x", false);
    // Poll it through connect and send until its recv is in flight (a silent server: forever).
    std::weak_ptr<const Operation> recv;
    REQUIRE(eventually([&] {
        CHECK_FALSE(get->poll(waker).is_ready());
        const auto op = get->current_operation().lock();
        if (op && op->kind == Operation::Kind::Recv) {
            recv = op;
            return true;
        }
        std::vector<TaskId> ids;
        queue->take_all(ids);
        return false;
    }));
    REQUIRE(reactor.in_flight() == 1);

    gate.close(); // hold the reactor thread before it submits the cancel
    get.reset();  // the future is dropped mid-recv: it asks for a cancel and lets go
    // Deterministic: the cancel is not yet submitted, so the kernel still owns the buffer, and the
    // reactor's share is what keeps it alive.
    CHECK_FALSE(recv.expired());
    gate.open();
    CHECK(eventually([&] { return reactor.in_flight() == 0; }));
    CHECK(eventually([&] { return recv.expired(); }));
}

TEST_CASE("uring: a reactor destroyed with operations in flight cancels them and closes all") {
    if (ch02::test::skip_without_ring()) {
        return;
    }
    Watchdog dog;
    DescriptorCheck descriptors;
    common::test::MisbehavingServer silent(common::test::Misbehavior::Silent);
    std::weak_ptr<Operation> watch;
    {
        UringReactor reactor;
        auto queue = std::make_shared<ReadyQueue>();
        auto pair = ch02::test::tcp_pair();
        auto op = std::make_shared<Operation>();
        op->kind = Operation::Kind::Recv;
        op->socket = std::make_shared<common::Fd>(std::move(pair.near));
        op->data.resize(16);
        watch = op;
        reactor.submit(op, Waker(queue, 1));
    } // ~UringReactor: cancel, wait for the completion, then close the ring
    CHECK(watch.expired());
}
