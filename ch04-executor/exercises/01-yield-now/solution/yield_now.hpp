// Exercise ch04/01: yield_now() and a fairness budget. The executor polls a task and waits for
// the poll to return; a task that keeps finding work ready never returns, and every other task on
// that thread starves — its wake is queued, and nobody takes the queue. Cooperative scheduling
// only works if busy tasks give the thread back now and then. This header is the interface the
// tests call; write the bodies in yield_now.cpp.
#pragma once

#include "ch04-executor/src/future.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

namespace ch04::exercise {

// Not ready on its first poll — after waking its own task, so the executor polls it again on its
// next round, behind every task that was already queued — and ready on the second.
class YieldNow final : public Future<void> {
public:
    PollState<void> poll(const Waker& waker) override;

private:
    bool yielded_ = false;
};

std::unique_ptr<YieldNow> yield_now();

// A busy task with a budget: calls `step` until it returns true (done), but at most `budget` times
// per poll. When the budget is spent and the work is not done, it yields (as YieldNow does), so
// the other tasks of its executor get their turn. Throws std::invalid_argument for a budget of 0.
class Budgeted final : public Future<void> {
public:
    Budgeted(std::function<bool()> step, std::size_t budget);
    PollState<void> poll(const Waker& waker) override;

    std::uint64_t polls() const { return polls_; } // how often it was polled so far

private:
    std::function<bool()> step_;
    std::size_t budget_;
    std::uint64_t polls_ = 0;
};

} // namespace ch04::exercise
