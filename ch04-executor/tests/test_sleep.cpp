// Tests of the timer futures (sleep.hpp) on a real executor and reactor: a Sleep never completes
// before its deadline (not even when polled spuriously) and completes close to it; several sleeps
// end in deadline order; Timeout passes a fast inner value through and fails a slow one, dropping
// it and its timer; the newest waker is the one woken; a duration of milliseconds::max() means
// "never" rather than overflowing. Timing checks are shapes: lower bounds exact, upper bounds
// generous. Every case checks that the descriptors it opened are closed again.
#include "ch04-executor/src/executor.hpp"
#include "ch04-executor/src/reactor.hpp"
#include "ch04-executor/src/sleep.hpp"

#include "helpers.hpp"

#include <common/test_support/counted.hpp>

#include <doctest/doctest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace {

using namespace ch04;
using namespace ch04::test;
using common::test::Counted;

// Generous upper bound on lateness: sanitizers and a busy two-core machine are slow, but a timer
// that waits for the wrong deadline (or for nothing) is late by far more.
constexpr auto kSlack = 2s;

TEST_CASE("a Sleep never completes before its deadline, and completes close to it") {
    Watchdog dog;
    const DescriptorCheck fds; // checked last, once everything below is gone
    Reactor reactor;
    Outcome<int> outcome;
    const auto start = Clock::now();
    {
        Executor executor(quiet());
        // Sleep is a Future<void>; wrap it so Capture records when it finished.
        struct Done final : Future<int> {
            Sleep sleep;
            explicit Done(Reactor& r) : sleep(r, 150ms) {}
            PollState<int> poll(const Waker& w) override {
                return sleep.poll(w).is_ready() ? PollState<int>::ready(1)
                                                : PollState<int>::not_ready();
            }
        };
        executor.block_on(make_task<Capture<int>>(std::make_unique<Done>(reactor), outcome));
        CHECK(executor.polls() == 2); // one poll to arm the timer, one when it fired
    }
    REQUIRE(outcome.value.has_value());
    CHECK(outcome.finished - start >= 150ms);
    CHECK(outcome.finished - start < 150ms + kSlack);
    CHECK(reactor.registrations() == 0);
}

TEST_CASE("a Sleep polled spuriously again and again still does not complete early") {
    Watchdog dog;
    const DescriptorCheck fds; // checked last, once everything below is gone
    Reactor reactor;
    int polls = 0;
    const auto start = Clock::now();
    {
        Executor executor(quiet());
        auto sleep = std::make_unique<Sleep>(reactor, 100ms);
        const auto deadline = sleep->deadline();
        struct CheckOnReady final : Future<void> {
            std::unique_ptr<Future<void>> inner;
            Reactor::Clock::time_point deadline;
            PollState<void> poll(const Waker& w) override {
                PollState<void> state = inner->poll(w);
                if (state.is_ready()) {
                    CHECK(Reactor::Clock::now() >= deadline); // checked at the very moment
                }
                return state;
            }
        };
        auto check = std::make_unique<CheckOnReady>();
        check->inner = std::make_unique<SpuriousPoller<void>>(std::move(sleep), polls);
        check->deadline = deadline;
        executor.block_on(std::move(check));
    }
    CHECK(Clock::now() - start >= 100ms);
    CHECK(polls > 2); // it really was polled spuriously (busily, in fact) before the deadline
    CHECK(reactor.registrations() == 0);
}

// Appends its number to `order` when its Sleep completes.
class Numbered final : public Future<void> {
public:
    Numbered(Reactor& reactor, std::chrono::milliseconds d, int n, std::vector<int>& order)
        : sleep_(reactor, d), n_(n), order_(order) {}
    PollState<void> poll(const Waker& waker) override {
        if (!sleep_.poll(waker).is_ready()) {
            return PollState<void>::not_ready();
        }
        order_.push_back(n_);
        return PollState<void>::ready();
    }

private:
    Sleep sleep_;
    int n_;
    std::vector<int>& order_;
};

TEST_CASE("sleeps spawned in any order complete in the order of their deadlines") {
    Watchdog dog;
    const DescriptorCheck fds; // checked last, once everything below is gone
    Reactor reactor;
    std::vector<int> order;
    const auto start = Clock::now();
    {
        Executor executor(quiet());
        executor.spawn(make_task<Numbered>(reactor, 240ms, 3, order));
        executor.spawn(make_task<Numbered>(reactor, 60ms, 1, order));
        executor.spawn(make_task<Numbered>(reactor, 150ms, 2, order));
        executor.block_on(make_task<Numbered>(reactor, 0ms, 0, order));
    }
    CHECK(order == std::vector<int>{0, 1, 2, 3});
    // Concurrent, not sequential: the total is about the longest sleep, not the sum (450 ms).
    CHECK(Clock::now() - start >= 240ms);
    CHECK(Clock::now() - start < 240ms + kSlack);
}

// A future that never finishes on its own, owning a counted resource.
class Forever final : public Future<std::string> {
public:
    PollState<std::string> poll(const Waker&) override {
        return PollState<std::string>::not_ready();
    }

private:
    Counted resource_;
};

TEST_CASE("Timeout fails a slow inner future with TimedOut after its limit and drops it") {
    Watchdog dog;
    const DescriptorCheck fds; // checked last, once everything below is gone
    Counted::reset();
    Reactor reactor;
    Outcome<std::string> outcome;
    const auto start = Clock::now();
    {
        Executor executor(quiet());
        executor.block_on(make_task<Capture<std::string>>(
            std::make_unique<Timeout<std::string>>(reactor, std::make_unique<Forever>(), 120ms,
                                                   "forever"),
            outcome));
    }
    CHECK_FALSE(outcome.value.has_value());
    CHECK(outcome.error == "forever: timed out");
    CHECK(outcome.finished - start >= 120ms);
    CHECK(outcome.finished - start < 120ms + kSlack);
    CHECK(Counted::constructed() == 1);
    CHECK(Counted::destroyed() == 1);
    CHECK(reactor.registrations() == 0);
}

TEST_CASE("Timeout passes through the value of an inner future that is fast enough") {
    Watchdog dog;
    const DescriptorCheck fds; // checked last, once everything below is gone
    Reactor reactor;
    Outcome<int> outcome;
    struct SleepThenValue final : Future<int> {
        Sleep sleep;
        explicit SleepThenValue(Reactor& r) : sleep(r, 30ms) {}
        PollState<int> poll(const Waker& w) override {
            return sleep.poll(w).is_ready() ? PollState<int>::ready(42)
                                            : PollState<int>::not_ready();
        }
    };
    {
        Executor executor(quiet());
        executor.block_on(make_task<Capture<int>>(
            std::make_unique<Timeout<int>>(reactor, std::make_unique<SleepThenValue>(reactor), 10s,
                                           "fast"),
            outcome));
    }
    CHECK(outcome.error.empty());
    REQUIRE(outcome.value.has_value());
    CHECK(*outcome.value == 42);
    CHECK(reactor.registrations() == 0); // the 10 s timer was cancelled with the Timeout
}

TEST_CASE("polling a finished Sleep or a timed-out Timeout is a logic error, not undefined "
          "behaviour") {
    Watchdog dog;
    const DescriptorCheck fds; // checked last, once everything below is gone
    Reactor reactor;
    auto queue = std::make_shared<ReadyQueue>();
    const Waker waker(queue, 1);

    Sleep sleep(reactor, 0ms);
    CHECK(sleep.poll(waker).is_ready());
    CHECK_THROWS_AS(sleep.poll(waker), std::logic_error);

    Timeout<std::string> timeout(reactor, std::make_unique<Forever>(), 0ms, "t");
    CHECK_THROWS_AS(timeout.poll(waker), TimedOut);
    CHECK_THROWS_AS(timeout.poll(waker), std::logic_error);
    CHECK(reactor.registrations() == 0);
}

TEST_CASE("a Sleep or Timeout of milliseconds::max() does not end at once: the deadline saturates "
          "instead of overflowing") {
    // Regression: the deadline was `now + duration`, which overflows for milliseconds::max()
    // (undefined behaviour: the asan preset's UBSan stops here) and in practice wrapped to a
    // deadline in the past, so such a Sleep was ready, and such a Timeout expired, at once.
    Watchdog dog;
    const DescriptorCheck fds; // checked last, once everything below is gone
    Reactor reactor;
    auto queue = std::make_shared<ReadyQueue>();
    const Waker waker(queue, 1);

    Sleep forever(reactor, std::chrono::milliseconds::max());
    CHECK(forever.deadline() == Reactor::Clock::time_point::max());
    CHECK_FALSE(forever.poll(waker).is_ready());
    Timeout<std::string> patient(reactor, std::make_unique<Forever>(),
                                 std::chrono::milliseconds::max(), "patient");
    CHECK_FALSE(patient.poll(waker).is_ready()); // no TimedOut
    CHECK(reactor.registrations() == 2);

    // A "never" deadline in the heap does not stop a nearer timer from firing on time.
    auto soon_queue = std::make_shared<ReadyQueue>();
    Sleep soon(reactor, 20ms);
    CHECK_FALSE(soon.poll(Waker(soon_queue, 2)).is_ready());
    CHECK(wait_for_ids(*soon_queue) == std::vector<TaskId>{2});
    CHECK(queue->empty());

    // The other end: a hugely negative duration is simply due.
    Sleep past(reactor, std::chrono::milliseconds::min());
    CHECK(past.poll(waker).is_ready());
}

TEST_CASE("a Sleep polled again with a different waker wakes the newest one, not the first") {
    // The same task id on two queues: as if the future had been handed to a task of another
    // executor between the polls. Only the newest waker may be woken (future.hpp's contract).
    Watchdog dog;
    const DescriptorCheck fds; // checked last, once everything below is gone
    Reactor reactor;
    auto first = std::make_shared<ReadyQueue>();
    auto newest = std::make_shared<ReadyQueue>();
    Sleep sleep(reactor, 300ms); // long enough that both polls come before the deadline
    REQUIRE_FALSE(sleep.poll(Waker(first, 1)).is_ready());
    REQUIRE_FALSE(sleep.poll(Waker(newest, 1)).is_ready());
    // A barrier on the newest queue, due after the sleep: had the sleep woken the first waker,
    // the barrier (id 2) would be the first thing the newest queue receives.
    const ReactorId barrier = reactor.next_id();
    reactor.add_timer(barrier, sleep.deadline() + 200ms, Waker(newest, 2));
    CHECK(wait_for_ids(*newest) == std::vector<TaskId>{1});
    CHECK(first->empty());
    CHECK(sleep.poll(Waker(newest, 1)).is_ready());
    reactor.cancel_timer(barrier);
}

} // namespace
