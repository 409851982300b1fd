// Timers, which the book's runtime does not have: Sleep (a leaf future that is ready once its
// deadline has passed) and Timeout (a future that fails when its inner future takes too long). The
// reactor keeps the deadlines in a heap and wakes the task when the earliest one passes.
#pragma once

#include "future.hpp"
#include "reactor.hpp"

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>

namespace ch04 {

class Sleep final : public Future<void> {
public:
    // The deadline is fixed at construction (now + duration), not at the first poll, so a Sleep
    // measures from when it was asked for — as tokio's sleep does. A duration too long for the
    // clock (milliseconds::max()) means "never": the deadline saturates instead of overflowing.
    Sleep(Reactor& reactor, std::chrono::milliseconds duration);
    ~Sleep() override; // cancels the timer if it is still armed

    PollState<void> poll(const Waker& waker) override;

    Reactor::Clock::time_point deadline() const { return deadline_; }

private:
    Reactor& reactor_;
    Reactor::Clock::time_point deadline_;
    ReactorId id_ = 0; // 0: no timer armed
    bool done_ = false;
};

// Thrown by Timeout when the time is up.
class TimedOut : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Polls `inner`; if it is not ready by the deadline, throws TimedOut("<what>: timed out") and
// drops the inner future (which cancels what it was doing). Both children are polled with the
// same waker, so whichever event comes first wakes the task.
template <class T>
class Timeout final : public Future<T> {
public:
    Timeout(Reactor& reactor, std::unique_ptr<Future<T>> inner, std::chrono::milliseconds limit,
            std::string what)
        : inner_(std::move(inner)), timer_(reactor, limit), what_(std::move(what)) {
        if (!inner_) {
            throw std::invalid_argument("Timeout: no future to wait for");
        }
    }

    PollState<T> poll(const Waker& waker) override {
        if (!inner_) {
            throw std::logic_error("Timeout polled after it timed out");
        }
        PollState<T> state = inner_->poll(waker);
        if (state.is_ready()) {
            return state;
        }
        if (timer_.poll(waker).is_ready()) {
            inner_.reset();
            throw TimedOut(what_ + ": timed out");
        }
        return state;
    }

private:
    std::unique_ptr<Future<T>> inner_;
    Sleep timer_;
    std::string what_;
};

} // namespace ch04
