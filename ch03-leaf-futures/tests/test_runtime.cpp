// Tests of Runtime::block_on: it returns what the future returns, sleeps instead of spinning
// (counted polls and wakes), ends at its deadline, passes errors on, and prints the book's line.
#include "ch03-leaf-futures/src/runtime.hpp"

#include "ch03-leaf-futures/src/http_get_future.hpp"
#include "ch03-leaf-futures/src/join_all.hpp"
#include "support.hpp"

#include <common/delay_server.hpp>
#include <common/http.hpp>
#include <common/test_support/capture.hpp>
#include <common/test_support/resources.hpp>
#include <common/test_support/watchdog.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <unistd.h>
#include <vector>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

// Never ready and registers nothing: only the deadline can end a block_on on it.
class NeverReady final : public ch03::Future<int> {
public:
    ch03::PollState<int> poll() override { return ch03::not_ready; }
};

} // namespace

TEST_CASE("block_on returns the value of a future that is ready at once, without waiting") {
    int polls = 0;
    ch03::test::ScriptedFuture<int> future(0, 42, polls);
    ch03::Runtime runtime;
    CHECK(runtime.block_on(future, Clock::now() + 5s) == 42);
    CHECK(runtime.polls() == 1);
    CHECK(runtime.wakes() == 0);
}

TEST_CASE("block_on ends at its deadline when nothing becomes ready, without spinning") {
    // A block_on that never looks at its deadline would wait forever: fail in 10 s instead.
    const common::test::Watchdog dog(std::chrono::seconds(10));
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        NeverReady future;
        ch03::Runtime runtime;
        const auto start = Clock::now();
        CHECK_THROWS_WITH_AS(runtime.block_on(future, start + 200ms), "block_on: timed out",
                             std::runtime_error);
        CHECK(Clock::now() - start >= 200ms);
        // It slept in epoll_wait for the whole time instead of polling in a loop.
        CHECK(runtime.polls() >= 1);
        CHECK(runtime.polls() <= 3);
        CHECK(runtime.wakes() <= 2);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("block_on passes on the future's exception") {
    ch03::test::FailingFuture<int> future(0, "the future failed");
    ch03::Runtime runtime;
    CHECK_THROWS_WITH_AS(runtime.block_on(future, Clock::now() + 5s), "the future failed",
                         std::runtime_error);
}

TEST_CASE("block_on does not spin: a handful of polls per request") {
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        common::DelayServer server;
        ch03::Runtime runtime;
        ch03::Http http(runtime.registry(), server.endpoint(), ch03::Announce::No);

        // One request of 200 ms: one poll to start it, one or two more for its events.
        const auto one = http.get("/200/one");
        CHECK(runtime.block_on(*one, Clock::now() + 10s) == "one");
        CHECK(runtime.polls() >= 2);
        CHECK(runtime.polls() <= 4);
        CHECK(runtime.wakes() == runtime.polls() - 1); // every poll but the first follows a wake

        // Twenty at once under join_all: each answer raises at most two events (data, end of
        // stream), so block_on polls at most about twice per request, however long they take.
        ch03::Runtime runtime2;
        ch03::Http http2(runtime2.registry(), server.endpoint(), ch03::Announce::No);
        std::vector<std::unique_ptr<ch03::Future<std::string>>> futures;
        for (int i = 0; i < 20; ++i) {
            // Appended rather than `"r" + std::to_string(i)`: g++ 12 at -O2 reports a false
            // -Wrestrict warning for that (a known GCC 12 bug in std::string's inlined code).
            std::string message = "r";
            message += std::to_string(i);
            futures.push_back(http2.get(common::delay_path(200, message)));
        }
        const auto all = ch03::join_all(std::move(futures));
        const std::vector<std::string> bodies = runtime2.block_on(*all, Clock::now() + 10s);
        CHECK(bodies.size() == 20);
        CHECK(bodies.back() == "r19");
        CHECK(runtime2.polls() >= 2);
        CHECK(runtime2.polls() <= 2 * 20 + 1);
        // But join_all asks every unfinished request on each of those polls: the children were
        // polled at least once per request and at most 20 times per top-level poll.
        CHECK(all->child_polls() >= 20 + 1);
        CHECK(all->child_polls() <= 20 * runtime2.polls());
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("block_on prints the book's line before each sleep when asked to") {
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        common::DelayServer server;
        ch03::Runtime runtime;
        runtime.announce_waits(true);
        ch03::Http http(runtime.registry(), server.endpoint(), ch03::Announce::Yes);
        const auto future = http.get("/50/printed");

        common::test::CapturedOutput out(STDOUT_FILENO);
        const std::string body = runtime.block_on(*future, Clock::now() + 10s);
        const std::string text = out.finish();

        CHECK(body == "printed");
        std::string expected = "FIRST POLL - START OPERATION\n";
        for (std::uint64_t i = 0; i < runtime.wakes(); ++i) {
            expected += "Schedule other tasks\n";
        }
        CHECK(runtime.wakes() >= 1);
        CHECK(text == expected);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}
