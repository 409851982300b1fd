// UringSleep: Sleep (sleep.hpp) for the UringReactor — a timer that is itself a ring operation
// (IORING_OP_TIMEOUT), completed by the kernel with -ETIME when the time has passed. Where the
// epoll Reactor keeps a heap of deadlines and turns the earliest into epoll_wait's timeout, the
// completion model needs no heap of ours: a timer is one more operation in flight.
#pragma once

#include "future.hpp"
#include "uring_reactor.hpp"

#include <chrono>
#include <memory>

namespace ch04 {

class UringSleep final : public Future<void> {
public:
    // As Sleep: the deadline is fixed now, not at the first poll. A duration too long for the
    // clock saturates to "never".
    UringSleep(UringReactor& reactor, std::chrono::milliseconds duration);
    ~UringSleep() override; // cancels the timeout if it is still in flight

    PollState<void> poll(const Waker& waker) override;

private:
    UringReactor& reactor_;
    std::chrono::steady_clock::time_point deadline_;
    std::shared_ptr<Operation> op_;
    bool done_ = false;
};

} // namespace ch04
