// Tests of the leaf protocol (future_awaiter.hpp) and the awaitables over chapter 4's reactor
// (awaitables.hpp, runtime.hpp): no lost wake, no resume on a spurious wake, sleep_for's lower
// bound and its clock starting at the co_await, http_get against the delay server and against every
// misbehaving server, with_timeout as a cancellation that destroys what it cancels, its clock
// starting at the co_await, and with_timeout refusing an empty awaiter.
#include "ch05-coroutines/src/awaitables.hpp"

#include "helpers.hpp"

#include "ch05-coroutines/src/future_awaiter.hpp"
#include "ch05-coroutines/src/join_all.hpp"
#include "ch05-coroutines/src/runtime.hpp"
#include "ch05-coroutines/src/spawn.hpp"
#include "ch05-coroutines/src/task.hpp"

#include "ch04-executor/src/sleep.hpp"

#include <common/delay_server.hpp>
#include <common/http.hpp>
#include <common/test_support/counted.hpp>
#include <common/test_support/misbehaving_server.hpp>
#include <common/test_support/resources.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <coroutine>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

using namespace ch05;
using namespace ch05::test;
using common::test::Counted;
using std::chrono::milliseconds;

namespace {

// An endpoint for runtimes whose tests never connect anywhere.
const common::Endpoint kNowhere{"127.0.0.1", 9};

Task<int> await_ready_after(int not_ready_polls, int* polls, int* resumed) {
    const int value = co_await from_future(std::make_unique<ReadyAfter>(not_ready_polls, 5, polls));
    ++*resumed; // runs once per resume after the co_await
    co_return value;
}

// Stands in the co_await in place of the FutureAwaiter it wraps, and counts how often the
// coroutine is resumed there: every resume calls await_resume exactly once, before anything after
// the co_await runs — a premature resume too, even one that finds no result and throws. It also
// notes how many polls the leaf had had at that moment.
class CountingAwaiter {
public:
    CountingAwaiter(FutureAwaiter<int> inner, const int* polls, int* resumes, int* polls_at_resume)
        : inner_(std::move(inner)), polls_(polls), resumes_(resumes),
          polls_at_resume_(polls_at_resume) {}
    bool await_ready() const { return inner_.await_ready(); }
    template <class P>
    bool await_suspend(std::coroutine_handle<P> coroutine) {
        return inner_.await_suspend(coroutine); // the inner awaiter becomes the pending leaf
    }
    int await_resume() {
        ++*resumes_;
        *polls_at_resume_ = *polls_;
        return inner_.await_resume();
    }

private:
    FutureAwaiter<int> inner_;
    const int* polls_;
    int* resumes_;
    int* polls_at_resume_;
};

Task<int> count_resumes(int not_ready_polls, int* polls, int* resumes, int* polls_at_resume) {
    co_return co_await CountingAwaiter(
        from_future(std::make_unique<ReadyAfter>(not_ready_polls, 5, polls)), polls, resumes,
        polls_at_resume);
}

// Awaits a sleep to the end, then hands the finished (now empty) awaiter to with_timeout.
Task<void> with_timeout_on_awaited_awaiter() {
    auto nap = sleep_for(milliseconds(1));
    co_await nap;
    co_await with_timeout(std::move(nap), milliseconds(100), "second nap");
}

Task<std::string> catch_leaf_error() {
    try {
        co_await from_future(std::make_unique<ThrowsOnPoll>("leaf failed"));
    } catch (const std::runtime_error& e) {
        co_return e.what();
    }
    co_return "nothing thrown";
}

Task<void> sleep_ms(long ms) {
    co_await sleep_for(milliseconds(ms));
}

Task<void> sleep_twice(long ms) {
    co_await sleep_for(milliseconds(ms));
    co_await sleep_for(milliseconds(ms));
}

Task<std::string> get(std::string path) {
    co_return co_await http_get(std::move(path));
}

Task<std::string> get_two_in_a_row(std::string first, std::string second) {
    std::string a = co_await http_get(std::move(first));
    std::string b = co_await http_get(std::move(second));
    co_return a + "+" + b;
}

// What the awaiting coroutine sees when it asks a misbehaving server: the body, or "error: ...".
Task<std::string> get_or_error(common::Endpoint server, long deadline_ms) {
    try {
        std::string body = co_await with_timeout(http_get(std::move(server), "/0/x"),
                                                 milliseconds(deadline_ms), "request");
        co_return body;
    } catch (const std::exception& e) {
        co_return std::string("error: ") + e.what();
    }
}

Task<void> http_get_without_runtime() {
    co_await http_get("/0/x");
}

// Holds a Counted in its frame while it waits on a socket that will not answer in time.
Task<std::string> slow_request_holding(Counted counted, std::string path) {
    std::string body = co_await http_get(std::move(path));
    (void)counted;
    co_return body;
}

Task<std::string> cancel_slow(Counted counted, long limit_ms) {
    try {
        co_return co_await with_timeout(slow_request_holding(std::move(counted), "/5000/slow"),
                                        milliseconds(limit_ms), "slow task");
    } catch (const ch04::TimedOut& e) {
        co_return std::string("cancelled: ") + e.what();
    }
}

Task<std::string> after_sleep(std::string value, long ms) {
    co_await sleep_for(milliseconds(ms));
    co_return value;
}

// Builds a with_timeout around a lazy task, waits `before_ms`, and only then awaits it.
Task<std::string> build_early_await_late(long before_ms, long task_ms, long limit_ms) {
    auto guarded = with_timeout(after_sleep("in time", task_ms), milliseconds(limit_ms), "early");
    co_await sleep_for(milliseconds(before_ms));
    co_return co_await guarded;
}

// Builds a sleep, waits `before_ms`, and only then awaits the sleep.
Task<void> sleep_built_early(long sleep_ms, long before_ms) {
    auto nap = sleep_for(milliseconds(sleep_ms));
    co_await sleep_for(milliseconds(before_ms));
    co_await nap;
}

Task<std::string> fast_enough(std::string path, long limit_ms) {
    co_return co_await with_timeout(get(std::move(path)), milliseconds(limit_ms), "task");
}

} // namespace

TEST_CASE("a leaf that is ready at its first poll does not suspend the coroutine") {
    const Watchdog watchdog;
    int polls = 0;
    int resumed = 0;
    ch04::Executor executor(quiet_executor());
    CHECK(block_on(executor, await_ready_after(0, &polls, &resumed)) == 5);
    CHECK(polls == 1);
    CHECK(resumed == 1);
    CHECK(executor.polls() == 1); // the whole task ran in one poll
}

TEST_CASE("a wake that comes during the leaf's first poll, before the coroutine has suspended, is "
          "not lost") {
    // ReadyAfter(1) wakes its task inside its first poll — the moment a reactor event can slip in
    // between "register the waker" and "the coroutine is suspended". The wake only queues the task;
    // the executor polls it again after this poll returns, so the task finishes. A lost wake would
    // hang here (the watchdog would end the test).
    const Watchdog watchdog;
    int polls = 0;
    int resumed = 0;
    ch04::Executor executor(quiet_executor());
    CHECK(block_on(executor, await_ready_after(1, &polls, &resumed)) == 5);
    CHECK(polls == 2);
    CHECK(executor.polls() == 2);
}

TEST_CASE("spurious wakes re-poll the leaf but never resume the coroutine before it is ready") {
    // The leaf wakes its task at each of its first 25 polls without being ready. Were a spurious
    // wake to resume the coroutine, await_resume would run then: `resumes` would count it, and
    // `polls_at_resume` would be below 26. What proves no premature resume is that the one and
    // only resume came after the 26th poll — the one that returned ready.
    const Watchdog watchdog;
    int polls = 0;
    int resumes = 0;
    int polls_at_resume = 0;
    ch04::Executor executor(quiet_executor());
    CHECK(block_on(executor, count_resumes(25, &polls, &resumes, &polls_at_resume)) == 5);
    CHECK(polls == 26);
    CHECK(resumes == 1);
    CHECK(polls_at_resume == 26);
    CHECK(executor.polls() == 26); // each wake cost one poll of the task, nothing more
}

TEST_CASE("an exception of a leaf future is rethrown at the co_await, inside the coroutine") {
    const Watchdog watchdog;
    CHECK(block_on(catch_leaf_error()) == "leaf failed");
}

TEST_CASE("sleep_for never completes early, and two sleeps in a row take at least their sum") {
    const Watchdog watchdog;
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        Runtime runtime(kNowhere);
        auto start = Clock::now();
        block_on(sleep_ms(60));
        const long one = elapsed_ms(start);
        CHECK(one >= 60);
        CHECK(one < 60 + 2000);

        start = Clock::now();
        block_on(sleep_twice(40));
        const long two = elapsed_ms(start);
        CHECK(two >= 80);
        CHECK(two < 80 + 2000);

        start = Clock::now();
        block_on(sleep_ms(0)); // zero: completes at once, without a timer
        CHECK(elapsed_ms(start) < 1000);
        CHECK(runtime.reactor().registrations() == 0);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("sleep_for counts from the co_await, not from the call that built it") {
    // A sleep of 300 ms built 300 ms before it is awaited still waits its 300 ms.
    const Watchdog watchdog;
    Runtime runtime(kNowhere);
    const auto start = Clock::now();
    block_on(sleep_built_early(300, 300));
    CHECK(elapsed_ms(start) >= 600);
}

TEST_CASE("sleeps joined with join_all run concurrently: five of 150 ms take about 150 ms") {
    const Watchdog watchdog;
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        Runtime runtime(kNowhere);
        std::vector<Task<void>> sleeps;
        for (int i = 0; i < 5; ++i) {
            sleeps.push_back(sleep_ms(150));
        }
        const auto start = Clock::now();
        block_on(join_all(std::move(sleeps)));
        const long took = elapsed_ms(start);
        CHECK(took >= 150);
        CHECK(took < 5 * 150); // sequential would be 750 ms
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("awaiting http_get or sleep_for without a Runtime is a logic error that says so") {
    const Watchdog watchdog;
    CHECK_THROWS_WITH_AS(block_on(http_get_without_runtime()),
                         doctest::Contains("no ch05::Runtime"), std::logic_error);
    CHECK_THROWS_AS(block_on(sleep_ms(1)), std::logic_error);
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        Runtime runtime(kNowhere);
        CHECK_THROWS_WITH_AS(Runtime{kNowhere}, doctest::Contains("exists already"),
                             std::logic_error);
        block_on(sleep_ms(1)); // the first runtime is still the current one
    }
    CHECK(common::test::open_descriptor_count() == baseline); // the refused one cleaned up too
    CHECK_THROWS_AS(block_on(sleep_ms(1)), std::logic_error); // and none is current any more
}

TEST_CASE(
    "http_get returns the body, and two awaited in a row take about the sum of their delays") {
    const Watchdog watchdog;
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        common::DelayServer server;
        Runtime runtime(server.endpoint());
        CHECK(block_on(get("/0/Hello%20there")) == "Hello there");

        const auto start = Clock::now();
        CHECK(block_on(get_two_in_a_row(common::delay_path(150, "first"),
                                        common::delay_path(100, "second"))) == "first+second");
        const long took = elapsed_ms(start);
        CHECK(took >= 250); // sequential: the second request starts after the first answer
        CHECK(took < 250 + 3000);
        CHECK(runtime.reactor().registrations() == 0);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("every misbehaving-server mode ends in an exception caught by the awaiting coroutine "
          "(the silent ones by a sleep-based deadline)") {
    const Watchdog watchdog;
    const std::size_t baseline = common::test::open_descriptor_count();
    for (const common::test::Misbehavior mode : common::test::kAllMisbehaviors) {
        CAPTURE(common::test::to_string(mode));
        {
            common::test::MisbehavingServer server(mode);
            Runtime runtime(server.endpoint());
            // with_timeout races the request against the same reactor timer sleep_for awaits; only
            // the modes that never finish on their own need it, but every request carries it.
            const auto start = Clock::now();
            const std::string outcome = block_on(get_or_error(server.endpoint(), 300));
            const long took = elapsed_ms(start);
            if (common::test::must_fail(mode)) {
                CHECK(outcome.starts_with("error: "));
            } else {
                CHECK(outcome == common::test::kTrickleBody);
            }
            if (common::test::needs_deadline(mode)) {
                CHECK(outcome == "error: request: timed out");
                CHECK(took >= 300);
            } else {
                CHECK_FALSE(contains(outcome, "timed out"));
            }
            CHECK(runtime.reactor().registrations() == 0); // socket and timer both gone
        }
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("a refused connection is an exception in the awaiting coroutine, naming connect") {
    const Watchdog watchdog;
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        const common::test::RefusedPort refused;
        Runtime runtime(refused.endpoint());
        const std::string outcome = block_on(get_or_error(refused.endpoint(), 5000));
        CHECK(outcome.starts_with("error: connect "));
        CHECK(contains(outcome, "refused"));
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE(
    "with_timeout around a Task cancels it: its frame and locals are destroyed and its socket "
    "deregistered") {
    const Watchdog watchdog;
    const std::size_t baseline = common::test::open_descriptor_count();
    Counted::reset();
    {
        common::DelayServer server;
        Runtime runtime(server.endpoint());
        const auto start = Clock::now();
        CHECK(block_on(cancel_slow(Counted{}, 200)) == "cancelled: slow task: timed out");
        const long took = elapsed_ms(start);
        CHECK(took >= 200);
        CHECK(took < 4000); // long before the server's 5000 ms answer
        CHECK(Counted::alive() == 0);
        CHECK(Counted::destroyed() == Counted::constructed());
        CHECK(runtime.reactor().registrations() == 0);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("with_timeout on an awaiter that was awaited already, or moved from, is a logic error") {
    // A finished awaiter has given its future back; building a Timeout around nothing would crash
    // at its first poll instead of saying what is wrong.
    const Watchdog watchdog;
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        Runtime runtime(kNowhere);
        CHECK_THROWS_WITH_AS(block_on(with_timeout_on_awaited_awaiter()),
                             doctest::Contains("with_timeout on an empty awaiter"),
                             std::logic_error);

        auto nap = sleep_for(milliseconds(10));
        auto taken = std::move(nap);
        CHECK_THROWS_WITH_AS((void)with_timeout(std::move(nap), milliseconds(100)),
                             doctest::Contains("with_timeout on an empty awaiter"),
                             std::logic_error);
        CHECK_NOTHROW(block_on(sleep_ms(1))); // the runtime is unharmed
        CHECK(runtime.reactor().registrations() == 0);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("with_timeout's clock starts at the co_await, as the task it guards does, not when it is "
          "built") {
    // Built, then 300 ms of something else, then awaited: a 100 ms task under a 200 ms limit
    // finishes in time. Deterministic: at the co_await the task's timer (100 ms) is armed before
    // the limit's (200 ms), and the task is polled first. A clock started at the build would have
    // run out during the 300 ms, and the first poll would time out.
    const Watchdog watchdog;
    Runtime runtime(kNowhere);
    const auto start = Clock::now();
    CHECK(block_on(build_early_await_late(300, 100, 200)) == "in time");
    CHECK(elapsed_ms(start) >= 400);
    CHECK(runtime.reactor().registrations() == 0);
}

TEST_CASE("with_timeout passes through the result of a Task that finishes in time") {
    const Watchdog watchdog;
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        common::DelayServer server;
        Runtime runtime(server.endpoint());
        CHECK(block_on(fast_enough(common::delay_path(50, "in time"), 5000)) == "in time");
        CHECK(runtime.reactor().registrations() == 0); // the timer was cancelled, not left to fire
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}
