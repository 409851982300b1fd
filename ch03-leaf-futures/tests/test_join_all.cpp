// Tests of join_all: ready only when every child is, results in the order given, finished children
// never polled again and freed at once, errors end it cleanly, and real requests run concurrently.
#include "ch03-leaf-futures/src/join_all.hpp"

#include "ch03-leaf-futures/src/http_get_future.hpp"
#include "ch03-leaf-futures/src/runtime.hpp"
#include "support.hpp"

#include <common/delay_server.hpp>
#include <common/http.hpp>
#include <common/test_support/counted.hpp>
#include <common/test_support/resources.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using ch03::test::ScriptedFuture;
using common::test::Counted;

namespace {

using Futures = std::vector<std::unique_ptr<ch03::Future<std::string>>>;

} // namespace

TEST_CASE("join_all is ready only when every child is, with the results in the order given") {
    int polls[3] = {0, 0, 0};
    Futures futures;
    // "a" is the slowest and "b" the fastest: completion order b, c, a.
    futures.push_back(std::make_unique<ScriptedFuture<std::string>>(3, "a", polls[0]));
    futures.push_back(std::make_unique<ScriptedFuture<std::string>>(0, "b", polls[1]));
    futures.push_back(std::make_unique<ScriptedFuture<std::string>>(1, "c", polls[2]));
    const auto all = ch03::join_all(std::move(futures));

    CHECK_FALSE(all->poll().is_ready());
    CHECK(all->ready_count() == 1);
    CHECK_FALSE(all->poll().is_ready());
    CHECK(all->ready_count() == 2);
    CHECK_FALSE(all->poll().is_ready());
    CHECK(all->ready_count() == 2);
    ch03::PollState<std::vector<std::string>> state = all->poll();
    REQUIRE(state.is_ready());
    CHECK(state.value() == std::vector<std::string>{"a", "b", "c"});

    // A finished child is never polled again (so a repeated wake cannot finish it twice); the
    // unfinished ones are polled on every poll of join_all.
    CHECK(polls[0] == 4);
    CHECK(polls[1] == 1);
    CHECK(polls[2] == 2);
    CHECK(all->child_polls() == 7);
}

TEST_CASE("join_all is lazy and frees each child as soon as it finishes") {
    Counted::reset();
    int polls[2] = {0, 0};
    Futures futures;
    futures.push_back(std::make_unique<ScriptedFuture<std::string>>(0, "fast", polls[0]));
    futures.push_back(std::make_unique<ScriptedFuture<std::string>>(2, "slow", polls[1]));
    const auto all = ch03::join_all(std::move(futures));
    CHECK(polls[0] + polls[1] == 0); // creating it polled nothing
    CHECK(Counted::alive() == 2);

    CHECK_FALSE(all->poll().is_ready());
    CHECK(Counted::alive() == 1); // "fast" is done and already destroyed
    CHECK_FALSE(all->poll().is_ready());
    CHECK(all->poll().is_ready());
    CHECK(Counted::alive() == 0);
    CHECK(Counted::destroyed() == 2);
}

TEST_CASE("join_all of no futures is ready on its first poll") {
    const auto all = ch03::join_all(Futures{});
    ch03::PollState<std::vector<std::string>> state = all->poll();
    REQUIRE(state.is_ready());
    CHECK(state.value().empty());
    CHECK(all->child_polls() == 0);
}

TEST_CASE("join_all polled after completion is a logic error") {
    int polls = 0;
    Futures futures;
    futures.push_back(std::make_unique<ScriptedFuture<std::string>>(0, "x", polls));
    const auto all = ch03::join_all(std::move(futures));
    REQUIRE(all->poll().is_ready());
    CHECK_THROWS_WITH_AS(all->poll(), "join_all polled after completion", std::logic_error);
    CHECK(polls == 1);
}

TEST_CASE("a child's error ends join_all and destroys every child") {
    Counted::reset();
    int polls = 0;
    Futures futures;
    futures.push_back(std::make_unique<ScriptedFuture<std::string>>(100, "never", polls));
    futures.push_back(std::make_unique<ch03::test::FailingFuture<std::string>>(1, "child failed"));
    const auto all = ch03::join_all(std::move(futures));

    CHECK_FALSE(all->poll().is_ready());
    CHECK(Counted::alive() == 2);
    CHECK_THROWS_WITH_AS(all->poll(), "child failed", std::runtime_error);
    CHECK(Counted::alive() == 0); // the pending sibling went with it (its socket would close)
    CHECK_THROWS_AS(all->poll(), std::logic_error);
}

TEST_CASE("join_all runs real requests concurrently and returns bodies in the order given") {
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        common::DelayServer server;
        ch03::Runtime runtime;
        ch03::Http http(runtime.registry(), server.endpoint(), ch03::Announce::No);
        Futures futures;
        // Decreasing delays: they complete in the reverse of the order given.
        futures.push_back(http.get(common::delay_path(400, "first")));
        futures.push_back(http.get(common::delay_path(300, "second")));
        futures.push_back(http.get(common::delay_path(200, "third")));
        const auto all = ch03::join_all(std::move(futures));

        const auto start = Clock::now();
        const std::vector<std::string> bodies = runtime.block_on(*all, start + 20s);
        const auto elapsed = Clock::now() - start;

        CHECK(bodies == std::vector<std::string>{"first", "second", "third"});
        // Concurrent: about the longest delay, well under the sum (900 ms).
        CHECK(elapsed >= 400ms);
        CHECK(elapsed < 850ms);
        CHECK(server.answered() == 3);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

// A null child used to be taken for one that had already finished: skipped on every poll and
// never counted, so join_all could never become ready and block_on ran to its deadline.
TEST_CASE("join_all rejects a null child when it is created, instead of waiting for it forever") {
    int polls = 0;
    Futures futures;
    futures.push_back(std::make_unique<ScriptedFuture<std::string>>(0, "fine", polls));
    futures.push_back(nullptr);
    CHECK_THROWS_WITH_AS(ch03::join_all(std::move(futures)), "join_all: child 1 is null",
                         std::invalid_argument);
    CHECK(polls == 0); // nothing was started
}
