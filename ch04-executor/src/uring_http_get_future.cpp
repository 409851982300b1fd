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
    if (op_) {
        bool in_flight = false;
        {
            std::lock_guard lock(op_->mutex);
            in_flight = !op_->done;
        }
        if (in_flight) {
            // Not "free the buffer": ask the kernel to stop, and let the reactor's share of op_
            // keep the buffer (and the socket) alive until the completion says the kernel is done.
            reactor_.cancel(op_);
        }
    }
}

void UringHttpGetFuture::next(Operation::Kind kind, const Waker& waker) {
    // A new Operation for each step, never a reused one: the previous one may still be referenced
    // by the reactor for an instant after its completion was stored.
    auto op = std::make_shared<Operation>();
    op->kind = kind;
    op->socket = socket_;
    switch (kind) {
    case Operation::Kind::Connect:
        op->address = ch02::ipv4_address(server_.host, server_.port);
        break;
    case Operation::Kind::Send:
        op->data = common::get_request(path_);
        break;
    case Operation::Kind::Recv:
        op->data.resize(kRecvBytes);
        break;
    case Operation::Kind::Timeout:
        break;
    }
    op_ = std::move(op);
    reactor_.submit(op_, waker);
}

PollState<std::string> UringHttpGetFuture::poll(const Waker& waker) {
    if (state_ == State::Done) {
        throw std::logic_error("UringHttpGetFuture polled after completion");
    }
    try {
        return advance(waker);
    } catch (...) {
        state_ = State::Done;
        op_.reset();
        socket_.reset();
        throw;
    }
}

PollState<std::string> UringHttpGetFuture::advance(const Waker& waker) {
    if (state_ == State::Start) {
        if (announce_) {
            common::println("FIRST POLL - START OPERATION");
        }
        // A blocking socket is fine: the kernel runs each operation asynchronously anyway. The
        // socket closes when the future and its last operation are both gone; the deleter counts
        // that close() as one of the reactor's system calls.
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
        next(Operation::Kind::Connect, waker);
        state_ = State::Connecting;
        return PollState<std::string>::not_ready();
    }

    std::int32_t result = 0;
    if (!UringReactor::check(*op_, waker, result)) {
        return PollState<std::string>::not_ready(); // still in flight; `waker` is stored with it
    }
    const std::string target = server_.to_string();
    switch (state_) {
    case State::Connecting:
        if (result < 0) {
            throw common::sys_error(-result, "connect", target);
        }
        next(Operation::Kind::Send, waker);
        state_ = State::Sending;
        break;
    case State::Sending:
        if (result < 0) {
            throw common::sys_error(-result, "write", target);
        }
        if (static_cast<std::size_t>(result) != op_->data.size()) {
            throw std::runtime_error("write " + target + ": request did not fit");
        }
        next(Operation::Kind::Recv, waker);
        state_ = State::Receiving;
        break;
    case State::Receiving:
        if (result < 0) {
            throw common::sys_error(-result, "read", target);
        }
        if (result > 0) {
            // The bytes are already in op_'s buffer: the kernel did the read.
            response_.append(op_->data.data(), static_cast<std::size_t>(result));
            if (response_.size() > common::kMaxResponseBytes) {
                throw common::HttpError("response larger than " +
                                        std::to_string(common::kMaxResponseBytes) + " bytes");
            }
            next(Operation::Kind::Recv, waker);
            break;
        }
        // 0: the server closed, the response is complete (or truncated: the parser tells).
        op_.reset();
        socket_.reset();
        state_ = State::Done;
        return PollState<std::string>::ready(common::ok_body(std::exchange(response_, {})));
    case State::Start:
    case State::Done:
        break;
    }
    return PollState<std::string>::not_ready();
}

} // namespace ch04
