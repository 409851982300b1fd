// UringHttpGetFuture: HttpGetFuture (http_get_future.hpp) for the UringReactor. The same contract
// — lazy, ready with the body, throws on errors — but the connect, the send and the receive are
// operations the kernel performs for us. The first poll submits all three as one linked chain;
// later polls take what the receive has brought and give its buffers back.
//
// ch04's pinning rule, in a stronger form. A polled future must not move because it may point
// into itself (book ch. 9; src/pinning/); the epoll reactor itself only keeps ids. Here the
// *kernel* holds the addresses of what it reads — the server's address for the connect, the
// request for the send — and no destructor can take that back: so they are not members of the
// future at all but live in Operations that the reactor co-owns until their completions arrive.
// Dropping the future mid-request cancels what is in flight; that memory outlives the future
// until the kernel is done. (The answer's bytes arrive in the reactor's pool instead, in buffers
// that the future owns once a completion hands them over: uring_received_buffer.hpp.)
#pragma once

#include "future.hpp"
#include "uring_reactor.hpp"

#include <common/net.hpp>

#include <memory>
#include <string>
#include <vector>

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

    // The chain's operations (none before the first poll): for tests.
    std::weak_ptr<const Operation> connect_operation() const { return connect_; }
    std::weak_ptr<const Operation> send_operation() const { return send_; }
    std::weak_ptr<const Operation> recv_operation() const { return recv_; }

private:
    enum class State { Start, Receiving, Done };

    PollState<std::string> advance(const Waker& waker);
    void start(const Waker& waker);           // the first poll: the socket, and the chain submitted
    void throw_if_failed(const Waker& waker); // the first failed step of the chain, as an error

    UringReactor& reactor_;
    common::Endpoint server_;
    std::string path_;
    bool announce_;
    State state_ = State::Start;
    std::shared_ptr<common::Fd> socket_;
    // The chain: each step starts when the one before it succeeded. Kept until the future is done
    // so that a failure can be reported by the step that failed.
    std::shared_ptr<Operation> connect_;
    std::shared_ptr<Operation> send_;
    std::shared_ptr<Operation> recv_;
    std::vector<ReceivedBuffer>
        chunks_; // reused: buffers taken from the receive, given back at once
    std::string response_;
};

} // namespace ch04
