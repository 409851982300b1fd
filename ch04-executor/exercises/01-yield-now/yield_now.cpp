// Exercise ch04/01, your part: YieldNow::poll and Budgeted::poll (see yield_now.hpp and
// README.md). As given, YieldNow never yields and Budgeted ignores its budget.
#include "yield_now.hpp"

#include <stdexcept>

namespace ch04::exercise {

PollState<void> YieldNow::poll(const Waker& waker) {
    (void)waker;
    (void)yielded_;
    // TODO: the first poll wakes the task and returns not ready; the second is ready (yielded_
    // remembers which poll this is).
    return PollState<void>::ready();
}

std::unique_ptr<YieldNow> yield_now() {
    return std::make_unique<YieldNow>();
}

Budgeted::Budgeted(std::function<bool()> step, std::size_t budget)
    : step_(std::move(step)), budget_(budget) {
    if (budget_ == 0) {
        throw std::invalid_argument("Budgeted: a budget of 0 would never make progress");
    }
}

PollState<void> Budgeted::poll(const Waker& waker) {
    (void)waker;
    ++polls_;
    // TODO: at most budget_ steps, then yield.
    while (!step_()) {
    }
    return PollState<void>::ready();
}

} // namespace ch04::exercise
