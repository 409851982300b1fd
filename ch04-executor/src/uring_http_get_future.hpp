// UringHttpGetFuture: HttpGetFuture (http_get_future.hpp) for the UringReactor. The same contract
// — lazy, ready with the body, throws on errors — but the connect, the send and every recv are
// operations the kernel performs for us; the future only submits the next one and, when polled,
// looks whether the current one has completed.
//
// ch04's pinning rule, in a stronger form. A polled future must not move because it may point
// into itself (book ch. 9; src/pinning/); the epoll reactor itself only keeps ids. Here the
// *kernel* holds the address of this request's buffer, and no destructor can take that back: so
// the buffer is not a member of the future at all but lives in an Operation that the reactor
// co-owns until the completion arrives. Dropping the future mid-recv cancels the recv; the buffer
// outlives the future until the kernel is done.
#pragma once

#include "future.hpp"
#include "uring_reactor.hpp"

#include <common/net.hpp>

#include <memory>
#include <string>

namespace ch04 {

class UringHttpGetFuture final : public Future<std::string> {
public:
    // Lazy: stores its arguments until the first poll. `reactor` must outlive the future.
    // `announce`: print the book's "FIRST POLL - START OPERATION".
    UringHttpGetFuture(UringReactor& reactor, common::Endpoint server, std::string path,
                       bool announce = true);
    // Cancels the operation in flight, if any (the reactor keeps its buffer until it completes).
    ~UringHttpGetFuture() override;

    PollState<std::string> poll(const Waker& waker) override;

    // The operation in flight or last completed (none before the first poll): for tests.
    std::weak_ptr<const Operation> current_operation() const { return op_; }

    // The receive buffer's size: each recv completion brings at most this many bytes.
    static constexpr std::size_t kRecvBytes = 4096;

private:
    enum class State { Start, Connecting, Sending, Receiving, Done };

    PollState<std::string> advance(const Waker& waker);
    void next(Operation::Kind kind, const Waker& waker); // submit the next operation on the socket

    UringReactor& reactor_;
    common::Endpoint server_;
    std::string path_;
    bool announce_;
    State state_ = State::Start;
    std::shared_ptr<common::Fd> socket_;
    std::shared_ptr<Operation> op_; // the operation in flight (or just completed)
    std::string response_;
};

} // namespace ch04
