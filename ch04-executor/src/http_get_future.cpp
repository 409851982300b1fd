// Implementation of http_get_future.hpp.
#include "http_get_future.hpp"

#include "ch02-epoll-reactor/src/read_until_blocked.hpp"

#include <common/http.hpp>
#include <common/print.hpp>

#include <stdexcept>
#include <utility>

namespace ch04 {

HttpGetFuture::HttpGetFuture(Reactor& reactor, common::Endpoint server, std::string path,
                             bool announce)
    : reactor_(reactor), server_(std::move(server)), path_(std::move(path)), announce_(announce) {}

HttpGetFuture::~HttpGetFuture() {
    release_socket();
}

void HttpGetFuture::start(const Waker& waker) {
    if (announce_) {
        common::println("FIRST POLL - START OPERATION");
    }
    // As in the book: a blocking connect (instant on loopback), then non-blocking from here on.
    stream_ = common::connect_tcp(server_);
    common::set_nonblocking(stream_.get());
    // The request is a few dozen bytes; a fresh socket's send buffer takes it whole, so one send
    // does. If it ever did not, we would have to wait for writability — say so instead of hanging.
    const std::string request = common::get_request(path_);
    if (common::send_some(stream_.get(), request, server_.to_string()) != request.size()) {
        throw std::runtime_error("write " + server_.to_string() + ": request did not fit");
    }
    id_ = reactor_.next_id();
    reactor_.register_fd(stream_.get(), id_, waker);
    state_ = State::Reading;
}

PollState<std::string> HttpGetFuture::poll(const Waker& waker) {
    if (state_ == State::Done) {
        throw std::logic_error("HttpGetFuture polled after completion");
    }
    try {
        return advance(waker);
    } catch (...) {
        // A failed request is finished too: release the socket now, and make a further poll the
        // same clear logic_error as after success, rather than a silent second connection.
        release_socket();
        state_ = State::Done;
        throw;
    }
}

void HttpGetFuture::release_socket() noexcept {
    if (state_ == State::Reading && stream_) {
        try {
            reactor_.deregister(stream_.get(), id_);
        } catch (...) {
            // Closing the descriptor below removes it from epoll anyway.
        }
    }
    stream_.reset();
}

PollState<std::string> HttpGetFuture::advance(const Waker& waker) {
    switch (state_) {
    case State::Start:
        start(waker);
        // Then read at once: the answer may already be here. Reading now saves a round trip
        // through the reactor, and does not rely on the event that epoll reports for an
        // already-readable socket reaching this waker — in the book's order (register, then
        // set_waker) it would not: the other half of the fix for upstream issue #23.
        break;
    case State::Reading:
        reactor_.set_waker(id_, waker);
        break;
    case State::Done:
        break; // poll() does not call us then
    }

    if (ch02::read_until_blocked(stream_.get(), response_, common::kMaxResponseBytes) ==
        ch02::ReadOutcome::WouldBlock) {
        return PollState<std::string>::not_ready();
    }
    // The server closed: the response is complete (or truncated — the parser tells).
    reactor_.deregister(stream_.get(), id_);
    stream_.reset();
    state_ = State::Done;
    return PollState<std::string>::ready(common::ok_body(std::exchange(response_, {})));
}

} // namespace ch04
