// Tests of the Executor and the Waker (executor.hpp, waker.hpp) with probe futures that need no
// sockets: a wake from another thread polls the right task and only it, false and repeated wakes
// are harmless, an exception ends only its own task, tasks (and what they own) are destroyed
// exactly once — finished, failed, or still pending when the executor goes away.
#include "ch04-executor/src/executor.hpp"
#include "ch04-executor/src/future.hpp"
#include "ch04-executor/src/reactor.hpp"
#include "ch04-executor/src/sleep.hpp"
#include "ch04-executor/src/waker.hpp"

#include "helpers.hpp"

#include <common/test_support/capture.hpp>
#include <common/test_support/counted.hpp>

#include <doctest/doctest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include <unistd.h>

namespace {

using namespace ch04;
using namespace ch04::test;
using common::test::Counted;

TEST_CASE("a waker called from another thread wakes the right task, and only that one") {
    Watchdog dog;
    auto a = std::make_shared<Probe>();
    auto b = std::make_shared<Probe>();
    Executor executor(quiet());

    std::thread other([&] {
        // Both tasks have been polled once and are waiting; then A's waker is called from here.
        CHECK(a->wait_for_polls(1));
        CHECK(b->wait_for_polls(1));
        a->release_and_wake();
        CHECK(a->wait_for_polls(2)); // A was polled again (and finished) ...
        CHECK(b->poll_count() == 1); // ... while B, not woken, was left alone
        b->release_and_wake();
    });
    executor.spawn(make_task<ProbeFuture>(b));
    executor.block_on(make_task<ProbeFuture>(a));
    other.join();

    CHECK(a->poll_count() == 2);
    CHECK(b->poll_count() == 2);
    CHECK(a->waker->id() != b->waker->id());
    CHECK(executor.polls() == 4);
    CHECK(executor.pending_tasks() == 0);
}

// Finishes at its first poll, leaving its waker behind in `stale` for someone to misuse.
class FinishAtOnce final : public Future<void> {
public:
    explicit FinishAtOnce(std::optional<Waker>& stale) : stale_(stale) {}
    PollState<void> poll(const Waker& waker) override {
        stale_ = waker;
        return PollState<void>::ready();
    }

private:
    std::optional<Waker>& stale_;
};

// First poll: wakes the finished task through its stale waker (a false wakeup), wakes itself
// three times (repeated wakes), and is not ready. Second poll: ready.
class WakeTheDead final : public Future<void> {
public:
    explicit WakeTheDead(std::optional<Waker>& stale) : stale_(stale) {}
    PollState<void> poll(const Waker& waker) override {
        if (++polls_ == 1) {
            REQUIRE(stale_.has_value());
            stale_->wake();
            waker.wake();
            waker.wake();
            waker.wake();
            return PollState<void>::not_ready();
        }
        return PollState<void>::ready();
    }

private:
    std::optional<Waker>& stale_;
    int polls_ = 0;
};

TEST_CASE(
    "a false wakeup (the id of a finished task) is ignored, and repeated wakes are harmless") {
    Watchdog dog;
    std::optional<Waker> stale;
    Executor executor(quiet());
    executor.spawn(make_task<FinishAtOnce>(stale)); // polled first, done at once
    executor.block_on(make_task<WakeTheDead>(stale));
    // FinishAtOnce: 1 poll (its false wakeup polls nothing). WakeTheDead: 1 poll, then its three
    // wakes queue its id three times: the first poll finishes it, the other two are false wakeups.
    CHECK(executor.polls() == 3);
    CHECK(executor.failed_tasks() == 0);
    CHECK(executor.pending_tasks() == 0);
}

TEST_CASE("a waker outliving its executor can still be called safely") {
    std::optional<Waker> stale;
    {
        Executor executor(quiet());
        executor.block_on(make_task<FinishAtOnce>(stale));
    }
    REQUIRE(stale.has_value());
    stale->wake(); // the queue lives on in the waker; nobody will read it, nothing breaks
    std::thread([waker = *stale] { waker.wake(); }).join();
    CHECK(stale->id() == 1);
}

// A task that owns a counted resource and finishes (or throws) at its `finish_at`-th poll, waking
// itself in between so the executor polls it again.
class CountedTask final : public Future<void> {
public:
    enum class End { Ready, ThrowStd, ThrowOther };
    CountedTask(int finish_at, End end) : finish_at_(finish_at), end_(end) {}
    PollState<void> poll(const Waker& waker) override {
        if (++polls_ < finish_at_) {
            waker.wake();
            return PollState<void>::not_ready();
        }
        switch (end_) {
        case End::Ready:
            return PollState<void>::ready();
        case End::ThrowStd:
            throw std::runtime_error("boom");
        case End::ThrowOther:
            throw 42; // not a std::exception
        }
        return PollState<void>::ready();
    }

private:
    Counted resource_; // what "the task's resources" stand for: a socket, a buffer, a timer
    int finish_at_;
    End end_;
    int polls_ = 0;
};

TEST_CASE("an exception in a task is reported and that task dropped, the others run to the end") {
    Watchdog dog;
    const DescriptorCheck fds; // checked last: the captured stderr's file is closed too
    Counted::reset();
    common::test::CapturedOutput err(STDERR_FILENO);
    Executor executor(quiet());
    executor.spawn(make_task<CountedTask>(2, CountedTask::End::ThrowStd));   // task 1
    executor.spawn(make_task<CountedTask>(1, CountedTask::End::ThrowOther)); // task 2
    executor.spawn(make_task<CountedTask>(5, CountedTask::End::Ready));      // task 3
    executor.block_on(make_task<CountedTask>(3, CountedTask::End::Ready));   // task 4
    const std::string text = err.finish();

    CHECK(executor.failed_tasks() == 2);
    CHECK(executor.pending_tasks() == 0);
    CHECK(executor.polls() == 2 + 1 + 5 + 3); // the healthy tasks were polled to their end
    CHECK(contains(text, "error: task 1: boom\n"));
    CHECK(contains(text, "error: task 2: unknown exception\n"));
    CHECK(Counted::constructed() == 4);
    CHECK(Counted::destroyed() == 4); // failed tasks were destroyed, exactly once
}

TEST_CASE("every task and what it owns is destroyed exactly once when it finishes") {
    Watchdog dog;
    Counted::reset();
    constexpr int kTasks = 50;
    {
        Executor executor(quiet());
        for (int i = 1; i < kTasks; ++i) {
            executor.spawn(make_task<CountedTask>(1 + i % 4, CountedTask::End::Ready));
        }
        executor.block_on(make_task<CountedTask>(2, CountedTask::End::Ready));
        CHECK(Counted::constructed() == kTasks);
        CHECK(Counted::destroyed() == kTasks); // already during block_on, not at the end
    }
    CHECK(Counted::alive() == 0);
    CHECK(Counted::destroyed() == kTasks);
}

TEST_CASE("tasks still pending when the executor is destroyed are destroyed exactly once") {
    Counted::reset();
    {
        Executor executor(quiet());
        for (int i = 0; i < 7; ++i) {
            executor.spawn(make_task<CountedTask>(1, CountedTask::End::Ready));
        }
        CHECK(executor.pending_tasks() == 7);
        CHECK(Counted::alive() == 7);
    } // never run: block_on was not called
    CHECK(Counted::constructed() == 7);
    CHECK(Counted::destroyed() == 7);
}

// Spawns `children` tasks from inside a poll, through the free function ch04::spawn.
class Spawner final : public Future<void> {
public:
    explicit Spawner(int children) : children_(children) {}
    PollState<void> poll(const Waker&) override {
        for (int i = 0; i < children_; ++i) {
            spawn(make_task<CountedTask>(1 + i % 3, CountedTask::End::Ready));
        }
        return PollState<void>::ready();
    }

private:
    int children_;
};

TEST_CASE("ch04::spawn adds to the executor running on this thread, and only inside block_on") {
    Watchdog dog;
    Counted::reset();
    CHECK(Executor::current() == nullptr);
    CHECK_THROWS_AS(spawn(make_task<CountedTask>(1, CountedTask::End::Ready)), std::logic_error);
    Executor executor(quiet());
    executor.block_on(make_task<Spawner>(100)); // spawning rehashes the task map mid-poll
    CHECK(Executor::current() == nullptr);      // restored after block_on
    CHECK(executor.pending_tasks() == 0);
    CHECK(Counted::constructed() == 101); // 100 children + the one spawn() above refused
    CHECK(Counted::alive() == 0);
}

TEST_CASE("the executor says when it sleeps and when all tasks are finished, once each") {
    Watchdog dog;
    const DescriptorCheck fds; // checked last, once everything below is gone
    Reactor reactor;
    common::test::CapturedOutput out(STDOUT_FILENO);
    Executor executor(Executor::Options{.name = "worker", .verbose = true});
    // 200 ms leaves the executor ample time to find its queue empty and park before the timer
    // fires, so the "Sleep" line is certain to be printed.
    executor.block_on(make_task<Sleep>(reactor, 200ms));
    const std::string text = out.finish();
    // Exactly one "Sleep" line although block_on's own spawn left a stale parker token: the
    // executor parks again when it wakes to an empty queue instead of announcing a second sleep.
    CHECK(text == "worker: 1 pending tasks. Sleep until notified.\n"
                  "worker: All tasks are finished\n");
    CHECK(executor.polls() == 2);
}

} // namespace
