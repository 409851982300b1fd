// Implementation of uring_sleep.hpp.
#include "uring_sleep.hpp"

#include <common/error.hpp>

#include <algorithm>
#include <cerrno>
#include <stdexcept>

namespace ch04 {

using Clock = std::chrono::steady_clock;

UringSleep::UringSleep(UringReactor& reactor, std::chrono::milliseconds duration)
    : reactor_(reactor) {
    const auto now = Clock::now();
    const auto room =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::time_point::max() - now);
    deadline_ = duration >= room ? Clock::time_point::max()
                                 : now + std::max(duration, std::chrono::milliseconds(0));
}

UringSleep::~UringSleep() {
    if (op_ && !done_) {
        reactor_.cancel(op_); // the kernel reads op_'s timespec until the completion: keep it
    }
}

PollState<void> UringSleep::poll(const Waker& waker) {
    if (done_) {
        return PollState<void>::ready();
    }
    if (!op_) {
        op_ = std::make_shared<Operation>();
        op_->kind = Operation::Kind::Timeout;
        const auto left = std::max(deadline_ - Clock::now(), Clock::duration::zero());
        const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(left);
        op_->timeout.tv_sec = seconds.count();
        op_->timeout.tv_nsec =
            std::chrono::duration_cast<std::chrono::nanoseconds>(left - seconds).count();
        reactor_.submit(op_, waker);
        return PollState<void>::not_ready();
    }
    std::int32_t result = 0;
    if (!UringReactor::check(*op_, waker, result)) {
        return PollState<void>::not_ready();
    }
    if (result != -ETIME && result != 0) {
        done_ = true;
        throw common::sys_error(-result, "io_uring timeout");
    }
    done_ = true;
    return PollState<void>::ready();
}

} // namespace ch04
