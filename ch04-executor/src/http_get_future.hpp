// HttpGetFuture, chapter 4's version of chapter 3's leaf future. What changed: poll() takes a
// Waker, and instead of hoping the runtime polls it after the next epoll event, the future hands
// its waker to the Reactor under its own id — so only this task is polled when this socket is
// ready (book ch. 8, b-reactor-executor).
#pragma once

#include "future.hpp"
#include "reactor.hpp"

#include <common/fd.hpp>
#include <common/net.hpp>

#include <string>

namespace ch04 {

class HttpGetFuture final : public Future<std::string> {
public:
    // Lazy: stores its arguments and does nothing else until the first poll. `reactor` must
    // outlive the future. `announce`: print the book's "FIRST POLL - START OPERATION".
    HttpGetFuture(Reactor& reactor, common::Endpoint server, std::string path,
                  bool announce = true);
    // Deregisters the socket (if registered) and closes it: dropping an unfinished future cancels
    // the request.
    ~HttpGetFuture() override;

    // First poll: connect, send the request, register the socket with the reactor together with
    // `waker`, then read. Later polls: refresh the waker, read until EAGAIN. Ready with the body
    // once the server closes and the response parses; throws on errors. Polling again after that
    // is a std::logic_error.
    PollState<std::string> poll(const Waker& waker) override;

private:
    enum class State { Start, Reading, Done };

    void start(const Waker& waker);
    PollState<std::string> advance(const Waker& waker); // one poll's work; may throw
    void release_socket() noexcept;                     // deregister (if registered) and close

    Reactor& reactor_;
    common::Endpoint server_;
    std::string path_;
    bool announce_;
    State state_ = State::Start;
    common::Fd stream_;
    ReactorId id_ = 0;
    std::string response_; // the raw bytes so far; only the bytes received, no fixed buffer
};

} // namespace ch04
