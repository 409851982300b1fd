// Implementation of sleep.hpp.
#include "sleep.hpp"

#include <stdexcept>

namespace ch04 {

Sleep::Sleep(Reactor& reactor, std::chrono::milliseconds duration)
    : reactor_(reactor), deadline_(Reactor::Clock::now() + duration) {}

Sleep::~Sleep() {
    if (id_ != 0) {
        reactor_.cancel_timer(id_);
    }
}

PollState<void> Sleep::poll(const Waker& waker) {
    if (done_) {
        throw std::logic_error("Sleep polled after completion");
    }
    if (Reactor::Clock::now() >= deadline_) {
        if (id_ != 0) {
            reactor_.cancel_timer(id_); // it may have fired already; cancelling is then a no-op
            id_ = 0;
        }
        done_ = true;
        return PollState<void>::ready();
    }
    if (id_ == 0) {
        id_ = reactor_.next_id();
        reactor_.add_timer(id_, deadline_, waker);
    } else {
        reactor_.set_waker(id_, waker);
    }
    return PollState<void>::not_ready();
}

} // namespace ch04
