// Exercise ch03/01, your part (see connecting_http_get.hpp and README.md). As given, it connects
// the chapter's way — a blocking connect, bounded at 2 s here so the test that shows the stall
// ends soon — and never uses the Connecting stage. Make start_connect() and connect_done() work
// without blocking.
#include "connecting_http_get.hpp"

#include "ch02-epoll-reactor/src/read_until_blocked.hpp"

#include <common/error.hpp>
#include <common/http.hpp>

#include <chrono>
#include <stdexcept>
#include <system_error>

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
    // TODO: a non-blocking socket, connect(2), EINPROGRESS -> register for writability and go to
    // Stage::Connecting. As given: the blocking connect of the chapter.
    stream_ = common::connect_tcp(server_, std::chrono::seconds(2));
    common::set_nonblocking(stream_.get());
    send_request();
}

bool ConnectingHttpGet::connect_done() {
    // TODO: writable yet? Then SO_ERROR, then send_request(). As given, never reached.
    return false;
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
