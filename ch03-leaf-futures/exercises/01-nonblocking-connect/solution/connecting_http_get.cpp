// Exercise ch03/01, a reference answer: connect(2) on a non-blocking socket returns EINPROGRESS
// at once; the kernel finishes the handshake in the background and reports the socket writable
// when it is done, successfully or not. SO_ERROR then says which. Until then the future is simply
// not ready, and block_on sleeps in epoll_wait with every other future.
#include "connecting_http_get.hpp"

#include "ch02-epoll-reactor/src/read_until_blocked.hpp"

#include <common/error.hpp>
#include <common/http.hpp>

#include <cerrno>
#include <stdexcept>
#include <system_error>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

namespace ch03::exercise {

ConnectingHttpGet::ConnectingHttpGet(ch02::Registry registry, common::Endpoint server,
                                     std::string path, ch02::Token token)
    : registry_(registry), server_(std::move(server)), path_(std::move(path)), token_(token) {}

PollState<std::string> ConnectingHttpGet::poll() {
    if (stage_ == Stage::Finished) {
        throw std::logic_error("ConnectingHttpGet polled after completion");
    }
    try {
        if (stage_ == Stage::NotStarted) {
            start_connect();
        }
        if (stage_ == Stage::Connecting && !connect_done()) {
            return not_ready; // registered for writability: an event will come
        }
        return read();
    } catch (...) {
        finish();
        throw;
    }
}

void ConnectingHttpGet::start_connect() {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(server_.port);
    if (::inet_pton(AF_INET, server_.host.c_str(), &address.sin_addr) != 1) {
        throw std::invalid_argument("connect " + server_.to_string() + ": not an IPv4 address");
    }
    stream_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!stream_) {
        common::throw_errno("socket");
    }
    if (::connect(stream_.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) ==
        0) {
        send_request(); // loopback can complete at once
        return;
    }
    if (errno != EINPROGRESS) {
        common::throw_errno("connect", server_.to_string()); // refused at once, for example
    }
    // Writable means "the handshake is over" — edge-triggered, the edge comes once.
    registry_.register_fd(stream_.get(), token_,
                          ch02::Interest::writable() | ch02::Interest::edge_triggered());
    stage_ = Stage::Connecting;
}

bool ConnectingHttpGet::connect_done() {
    // block_on polls the whole tree on any event, so this poll may be for another future's
    // socket: ask the kernel (without waiting) whether ours is writable yet.
    pollfd probe{.fd = stream_.get(), .events = POLLOUT, .revents = 0};
    if (::poll(&probe, 1, 0) == 0) {
        return false;
    }
    int error = 0;
    socklen_t length = sizeof error;
    if (::getsockopt(stream_.get(), SOL_SOCKET, SO_ERROR, &error, &length) != 0) {
        common::throw_errno("getsockopt", server_.to_string());
    }
    if (error != 0) {
        throw std::system_error(error, std::generic_category(), "connect " + server_.to_string());
    }
    registry_.deregister(stream_.get()); // send_request registers again, for reading
    send_request();
    return true;
}

void ConnectingHttpGet::send_request() {
    const std::string request = common::get_request(path_);
    if (common::send_some(stream_.get(), request, server_.to_string()) != request.size()) {
        throw std::runtime_error("write " + server_.to_string() + ": the request did not fit");
    }
    registry_.register_fd(stream_.get(), token_,
                          ch02::Interest::readable() | ch02::Interest::edge_triggered());
    stage_ = Stage::Reading;
}

PollState<std::string> ConnectingHttpGet::read() {
    ch02::ReadOutcome outcome;
    try {
        outcome = ch02::read_until_blocked(stream_.get(), buffer_, common::kMaxResponseBytes);
    } catch (const std::system_error& e) {
        throw std::system_error(e.code(), "read " + server_.to_string());
    }
    if (outcome == ch02::ReadOutcome::WouldBlock) {
        return not_ready;
    }
    registry_.deregister(stream_.get());
    const std::string raw = std::move(buffer_);
    finish();
    return ready(common::ok_body(raw));
}

void ConnectingHttpGet::finish() noexcept {
    stage_ = Stage::Finished;
    stream_.reset(); // closing drops it from the epoll interest list too
    buffer_ = std::string();
}

} // namespace ch03::exercise
