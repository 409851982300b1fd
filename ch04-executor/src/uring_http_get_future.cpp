// Implementation of uring_http_get_future.hpp: a state machine moved one step per completion.
#include "uring_http_get_future.hpp"

#include "ch02-epoll-reactor/src/ring.hpp"

#include <common/error.hpp>
#include <common/http.hpp>
#include <common/print.hpp>

#include <stdexcept>
#include <sys/socket.h>
#include <utility>

namespace ch04 {

UringHttpGetFuture::UringHttpGetFuture(UringReactor& reactor, common::Endpoint server,
                                       std::string path, bool announce)
    : reactor_(reactor), server_(std::move(server)), path_(std::move(path)), announce_(announce) {}

UringHttpGetFuture::~UringHttpGetFuture() {
    // Not "free the memory": ask the kernel to stop, and let the reactor's shares keep what it
    // reads (and the socket) alive until the completions say it is done. Cancelling the first
    // step still in flight is enough: the kernel cancels the linked steps after it.
    for (const auto& op : {connect_, send_, recv_}) {
        if (!op) {
            continue;
        }
        bool in_flight = false;
        {
            std::lock_guard lock(op->mutex);
            in_flight = !op->done;
            // Data received and not read: its buffers go back to the pool now, not when the
            // reactor lets go of the operation.
            op->received.clear();
        }
        if (in_flight) {
            reactor_.cancel(op);
            break;
        }
    }
}

PollState<std::string> UringHttpGetFuture::poll(const Waker& waker) {
    if (state_ == State::Done) {
        throw std::logic_error("UringHttpGetFuture polled after completion");
    }
    try {
        return advance(waker);
    } catch (...) {
        state_ = State::Done;
        socket_.reset();
        throw;
    }
}

void UringHttpGetFuture::start(const Waker& waker) {
    if (announce_) {
        common::println("FIRST POLL - START OPERATION");
    }
    // A blocking socket is fine: the kernel runs each operation asynchronously anyway. The socket
    // closes when the future and its last operation are both gone; the deleter counts that close()
    // as one of the reactor's system calls.
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    reactor_.count_syscalls(1);
    if (fd < 0) {
        common::throw_errno("socket");
    }
    UringReactor* reactor = &reactor_;
    socket_ = std::shared_ptr<common::Fd>(new common::Fd(fd), [reactor](common::Fd* socket) {
        reactor->count_syscalls(1);
        delete socket;
    });
    const auto step = [this](Operation::Kind kind) {
        auto op = std::make_shared<Operation>();
        op->kind = kind;
        op->socket = socket_;
        op->quiet = kind != Operation::Kind::Recv; // their success needs no decision of ours
        return op;
    };
    connect_ = step(Operation::Kind::Connect);
    connect_->address = ch02::ipv4_address(server_.host, server_.port);
    send_ = step(Operation::Kind::Send);
    send_->request = common::get_request(path_);
    recv_ = step(Operation::Kind::Recv);
    // One submission for the three steps, and (on success) one wake: when the answer arrives.
    reactor_.submit_chain({connect_, send_, recv_}, waker);
}

void UringHttpGetFuture::throw_if_failed(const Waker& waker) {
    // The steps complete in order, and a failed step cancels those after it (-ECANCELED): so the
    // first failed step is the cause, and the one the error names.
    const std::string target = server_.to_string();
    std::int32_t result = 0;
    if (UringReactor::check(*connect_, waker, result) && result < 0) {
        throw common::sys_error(-result, "connect", target);
    }
    if (UringReactor::check(*send_, waker, result)) {
        if (result < 0) {
            throw common::sys_error(-result, "write", target);
        }
        if (static_cast<std::size_t>(result) != send_->request.size()) {
            throw std::runtime_error("write " + target + ": request did not fit");
        }
    }
}

PollState<std::string> UringHttpGetFuture::advance(const Waker& waker) {
    if (state_ == State::Start) {
        start(waker);
        state_ = State::Receiving;
        return PollState<std::string>::not_ready();
    }
    throw_if_failed(waker);
    std::int32_t result = 0;
    const bool done = UringReactor::take(*recv_, waker, chunks_, result);
    for (const ReceivedBuffer& chunk : chunks_) {
        // The bytes are already in the buffer: the kernel did the read.
        response_.append(chunk.bytes());
    }
    chunks_.clear(); // every buffer back to the pool
    if (response_.size() > common::kMaxResponseBytes) {
        throw common::HttpError("response larger than " +
                                std::to_string(common::kMaxResponseBytes) + " bytes");
    }
    if (!done) {
        return PollState<std::string>::not_ready(); // `waker` is stored with the receive
    }
    if (result < 0) {
        throw common::sys_error(-result, "read", server_.to_string());
    }
    // 0: the server closed, the response is complete (or truncated: the parser tells).
    socket_.reset();
    state_ = State::Done;
    return PollState<std::string>::ready(common::ok_body(std::exchange(response_, {})));
}

} // namespace ch04
