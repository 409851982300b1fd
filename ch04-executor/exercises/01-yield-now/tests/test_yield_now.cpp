// Tests of exercise ch04/01 (README.md says what each checks): YieldNow's two polls, two yielding
// tasks interleaving on one executor, a budgeted busy task that lets a timer task run, and the
// budget counted poll by poll.
#include "yield_now.hpp"

#include "ch04-executor/src/executor.hpp"
#include "ch04-executor/src/reactor.hpp"
#include "ch04-executor/src/sleep.hpp"

#include <common/test_support/resources.hpp>
#include <common/test_support/watchdog.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

ch04::Executor::Options quiet() {
    return ch04::Executor::Options{.name = "test", .verbose = false};
}

// Appends `name` to `log`, then awaits yield_now(), `times` times over: a hand-written state
// machine, as a coroutine would be compiled.
class Yielder final : public ch04::Future<void> {
public:
    Yielder(char name, std::string& log, int times) : name_(name), log_(log), times_(times) {}
    ch04::PollState<void> poll(const ch04::Waker& waker) override {
        for (;;) {
            if (yielding_) {
                if (!yielding_->poll(waker).is_ready()) {
                    return ch04::PollState<void>::not_ready();
                }
                yielding_.reset();
            }
            if (done_ == times_) {
                return ch04::PollState<void>::ready();
            }
            log_ += name_;
            ++done_;
            yielding_ = ch04::exercise::yield_now();
        }
    }

private:
    char name_;
    std::string& log_;
    int times_;
    int done_ = 0;
    std::unique_ptr<ch04::exercise::YieldNow> yielding_;
};

// Sleeps, then raises a flag.
class SleepThenSet final : public ch04::Future<void> {
public:
    SleepThenSet(ch04::Reactor& reactor, std::chrono::milliseconds duration, bool& flag)
        : sleep_(reactor, duration), flag_(flag) {}
    ch04::PollState<void> poll(const ch04::Waker& waker) override {
        if (!sleep_.poll(waker).is_ready()) {
            return ch04::PollState<void>::not_ready();
        }
        flag_ = true;
        return ch04::PollState<void>::ready();
    }

private:
    ch04::Sleep sleep_;
    bool& flag_;
};

} // namespace

TEST_CASE("yield_now wakes its task and is not ready on the first poll, ready on the second") {
    auto queue = std::make_shared<ch04::ReadyQueue>();
    const ch04::Waker waker(queue, 7);
    ch04::exercise::YieldNow yield;
    CHECK_FALSE(yield.poll(waker).is_ready());
    std::vector<ch04::TaskId> woken;
    queue->take_all(woken);
    CHECK(woken == std::vector<ch04::TaskId>{7}); // woke itself, or nobody ever would
    CHECK(yield.poll(waker).is_ready());
}

TEST_CASE("two tasks that yield after each step take turns on one executor") {
    common::test::Watchdog watchdog;
    std::string log;
    ch04::Executor executor(quiet());
    executor.spawn(std::make_unique<Yielder>('a', log, 3));
    executor.block_on(std::make_unique<Yielder>('b', log, 3));
    CHECK(log == "ababab"); // without a yield: "aaabbb"
    CHECK(executor.failed_tasks() == 0);
}

TEST_CASE("a busy task with a budget lets a 30 ms timer task run long before it gives up") {
    common::test::Watchdog watchdog;
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        ch04::Reactor reactor;
        bool flag = false;
        bool gave_up = false;
        const auto start = Clock::now();
        // Busy until the timer task has raised the flag; gives up after 2 s so that a starved
        // timer task ends the test instead of hanging it.
        auto step = [&] {
            if (flag) {
                return true;
            }
            if (Clock::now() - start > 2s) {
                gave_up = true;
                return true;
            }
            return false;
        };
        ch04::Executor executor(quiet());
        executor.spawn(std::make_unique<ch04::exercise::Budgeted>(step, 1000));
        executor.block_on(std::make_unique<SleepThenSet>(reactor, 30ms, flag));
        CHECK(flag);
        CHECK_FALSE(gave_up);
        CHECK(Clock::now() - start < 1500ms);
        CHECK(executor.polls() > 3); // the busy task came back many times
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("a budget of 2 over 5 steps takes 3 polls and wakes itself after each of the first two") {
    auto queue = std::make_shared<ch04::ReadyQueue>();
    const ch04::Waker waker(queue, 3);
    int steps = 0;
    ch04::exercise::Budgeted busy([&] { return ++steps >= 5; }, 2);
    std::vector<ch04::TaskId> woken;
    CHECK_FALSE(busy.poll(waker).is_ready());
    CHECK(steps == 2);
    queue->take_all(woken);
    CHECK(woken.size() == 1);
    CHECK_FALSE(busy.poll(waker).is_ready());
    CHECK(steps == 4);
    queue->take_all(woken);
    CHECK(woken.size() == 1);
    CHECK(busy.poll(waker).is_ready());
    CHECK(steps == 5);
    CHECK(busy.polls() == 3);
    CHECK_THROWS_AS(ch04::exercise::Budgeted([] { return true; }, 0), std::invalid_argument);
}
