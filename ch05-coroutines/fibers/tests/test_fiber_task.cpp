// Tests of fibers on chapter 4's runtime (src/fiber_task.hpp): a blocking-looking http_get inside
// a fiber waits without blocking the executor thread, fibers wait concurrently, a failure inside a
// fiber reaches the executor, and a FiberTask destroyed while its fiber waits cancels the request
// (the leaf future on the fiber's stack is destroyed, its socket deregistered and closed).
#include "ch05-coroutines/fibers/src/fiber_task.hpp"

#include "ch04-executor/src/executor.hpp"
#include "ch04-executor/src/reactor.hpp"

#include <common/delay_server.hpp>
#include <common/http.hpp>
#include <common/test_support/counted.hpp>
#include <common/test_support/watchdog.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace {

using namespace ch05::fibers;
using namespace std::chrono_literals;

constexpr std::size_t kStack = 64 * 1024;

TEST_CASE("http_get inside a fiber returns the body, and five fibers wait at the same time") {
    const common::test::Watchdog dog;
    const common::DelayServer server;
    ch04::Reactor reactor;
    std::vector<std::string> bodies;
    const auto start = std::chrono::steady_clock::now();
    {
        ch04::Executor executor(ch04::Executor::Options{"test", false});
        executor.block_on(make_fiber_task(
            [&] {
                for (int i = 0; i < 5; ++i) {
                    spawn_fiber(
                        [&, i] {
                            bodies.push_back(http_get(
                                reactor, server.endpoint(),
                                common::delay_path(300 - 50 * i, "fiber" + std::to_string(i))));
                        },
                        kStack);
                }
            },
            kStack));
        CHECK(executor.failed_tasks() == 0);
        // Each fiber: a first poll, then one per wake (usually one); never a busy loop.
        CHECK(executor.polls() <= 1 + 5 * 4);
    }
    const auto elapsed = std::chrono::steady_clock::now() - start;
    // Shortest delay first: they waited side by side, not one after another.
    CHECK(bodies == std::vector<std::string>{"fiber4", "fiber3", "fiber2", "fiber1", "fiber0"});
    CHECK(elapsed < 1000ms); // one after another would take 300+250+200+150+100 = 1000 ms
}

TEST_CASE("an exception inside a fiber fails its task, and the executor reports it") {
    const common::test::Watchdog dog;
    ch04::Executor executor(ch04::Executor::Options{"test", false, false});
    executor.block_on(
        make_fiber_task([] { throw std::runtime_error("inside the fiber"); }, kStack));
    CHECK(executor.failed_tasks() == 1);
    CHECK(executor.first_failure().find("inside the fiber") != std::string::npos);
}

TEST_CASE("a timed-out http_get throws inside the fiber, where it can be caught") {
    const common::test::Watchdog dog;
    const common::DelayServer server;
    ch04::Reactor reactor;
    std::string caught;
    ch04::Executor executor(ch04::Executor::Options{"test", false});
    executor.block_on(make_fiber_task(
        [&] {
            try {
                http_get(reactor, server.endpoint(), common::delay_path(5000, "slow"), 100ms);
            } catch (const std::runtime_error& e) {
                caught = e.what();
            }
        },
        kStack));
    CHECK(caught == "GET /5000/slow: timed out");
    CHECK(executor.failed_tasks() == 0);
}

TEST_CASE("a FiberTask destroyed while its fiber waits destroys its stack objects and socket") {
    const common::test::Watchdog dog;
    common::test::Counted::reset();
    const common::DelayServer server;
    ch04::Reactor reactor;
    const std::size_t registrations = reactor.registrations();
    bool reached_end = false;
    {
        auto task = make_fiber_task(
            [&] {
                const common::test::Counted on_stack;
                http_get(reactor, server.endpoint(), common::delay_path(10'000, "never"));
                reached_end = true;
            },
            kStack);
        // Polled by hand with a waker of our own: the fiber connects, registers, suspends.
        const ch04::Waker waker(std::make_shared<ch04::ReadyQueue>(), 1);
        CHECK_FALSE(task->poll(waker).is_ready());
        CHECK(common::test::Counted::alive() == 1);
        CHECK(reactor.registrations() == registrations + 1);
    } // destroyed here, suspended inside http_get
    CHECK(common::test::Counted::alive() == 0);
    CHECK(reactor.registrations() == registrations);
    CHECK_FALSE(reached_end);
}

TEST_CASE("await outside a fiber task is refused") {
    ch04::Reactor reactor;
    ch04::Sleep sleep(reactor, 1ms);
    CHECK_THROWS_AS(await(sleep), std::logic_error);
}

} // namespace
