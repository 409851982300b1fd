// Implementation of sleep.hpp.
#include "sleep.hpp"

#include <stdexcept>

namespace ch04 {
namespace {

// now + duration, saturated: a duration too long for the clock gives time_point::max() ("never"),
// where `now + duration` would overflow its 64-bit count of nanoseconds (undefined behaviour, and
// in practice a deadline in the past: a Timeout of milliseconds::max() would expire at once).
// ch02's Poll caps its epoll_wait timeout the same way.
Reactor::Clock::time_point deadline_after(std::chrono::milliseconds duration) {
    using Clock = Reactor::Clock;
    const Clock::time_point now = Clock::now();
    if (duration <= std::chrono::milliseconds::zero()) {
        return now; // due at once (and a huge negative duration cannot overflow either)
    }
    // What is left of the clock's range, in whole milliseconds (rounded down, so adding anything
    // shorter stays within range).
    const auto room = std::chrono::floor<std::chrono::milliseconds>(Clock::time_point::max() - now);
    return duration >= room ? Clock::time_point::max() : now + duration;
}

} // namespace

Sleep::Sleep(Reactor& reactor, std::chrono::milliseconds duration)
    : reactor_(reactor), deadline_(deadline_after(duration)) {}

Sleep::~Sleep() {
    if (id_ != 0) {
        reactor_.cancel_timer(id_);
    }
}

PollState<void> Sleep::poll(const Waker& waker) {
    if (done_) {
        throw std::logic_error("Sleep polled after completion");
    }
    // An armed timer gets this poll's waker: the task polling us now may not be the one that
    // polled us last, and the timer must wake the newest (future.hpp's contract).
    if (id_ != 0 && !reactor_.set_waker(id_, waker)) {
        // Nothing stored any more: the timer has fired, so the deadline has passed. (This answer
        // must not be ignored: returning not_ready now would leave no waker anywhere.)
        id_ = 0;
        done_ = true;
        return PollState<void>::ready();
    }
    if (Reactor::Clock::now() >= deadline_) {
        if (id_ != 0) {
            reactor_.cancel_timer(id_); // it may fire at any moment; cancelling first is harmless
            id_ = 0;
        }
        done_ = true;
        return PollState<void>::ready();
    }
    if (id_ == 0) {
        id_ = reactor_.next_id();
        reactor_.add_timer(id_, deadline_, waker);
    }
    return PollState<void>::not_ready();
}

} // namespace ch04
