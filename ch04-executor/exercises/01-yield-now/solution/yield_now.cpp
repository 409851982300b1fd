// Exercise ch04/01, a reference answer. Yielding is "wake myself, then say not ready": the wake
// puts the task's id at the back of the executor's ready queue, so every task queued before it is
// polled first. No new executor API is needed — the waker already is the way back into the queue.
#include "yield_now.hpp"

#include <stdexcept>

namespace ch04::exercise {

PollState<void> YieldNow::poll(const Waker& waker) {
    if (yielded_) {
        return PollState<void>::ready();
    }
    yielded_ = true;
    // Wake before returning: the rule of every future is that a not_ready has arranged its wake,
    // and here nobody else will.
    waker.wake();
    return PollState<void>::not_ready();
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
    ++polls_;
    for (std::size_t i = 0; i < budget_; ++i) {
        if (step_()) {
            return PollState<void>::ready();
        }
    }
    // Budget spent, work left: give the thread back, and come back after the others.
    waker.wake();
    return PollState<void>::not_ready();
}

} // namespace ch04::exercise
