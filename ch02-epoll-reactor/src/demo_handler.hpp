// The a-epoll demo's event handling (the book's `handle_events`, chapter 4), one event at a time,
// with the original's double counting fixed. main.cpp drives it from its poll loop; the tests feed
// it events directly, repeated and spurious ones included. Sits on top of poll.hpp and
// read_until_blocked.hpp.
#pragma once

#include "poll.hpp"

#include <common/fd.hpp>

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace ch02 {

// "Event { token: 4, events: EPOLLIN | EPOLLRDHUP }". The book prints its raw ffi::Event with
// `{:?}` instead, which gives the bit mask as a number and the token last
// ("Event { events: 1, epoll_data: 4 }"); here the flags are named, so a reader can see *why*
// epoll woke us.
std::string describe(const Event& event);

class DemoHandler {
public:
    // Where the handler's lines go: common::println in the program, a vector in the tests.
    using Sink = std::function<void(std::string_view line)>;

    explicit DemoHandler(Sink sink);

    // Takes the stream of the next request. Its token must be its index (0, 1, 2, ...), as in the
    // book, where the token is the position in `streams`; the caller registers the stream with
    // that token. `message` is what the body must say ("request-3"), and names the request in
    // error messages. Throws std::invalid_argument for a token out of order.
    void add(Token token, common::Fd stream, std::string message);

    // Handles one event: prints it, drains the socket (edge triggering: until EAGAIN or end of
    // stream), and once the server has closed the connection prints and checks the response,
    // closes the stream and marks the request done.
    //
    // Returns true only when this event completed a request, and each request completes once.
    // The book's printed version counted every read that found end of stream; its streams stayed
    // registered, so a late edge for a stream it had already read to the end made it count that
    // request twice and stop before the last answer (upstream issue #4; the book's repository
    // now fixes it with a set of handled tokens). Here the stream is closed when its request
    // completes, so epoll cannot report it again, and an event that still names a finished
    // request (handed over twice by a caller) is printed and ignored. An event that leaves the
    // response incomplete returns false: more comes with the next edge.
    //
    // Throws std::runtime_error "request-3: <why>" when the socket fails or the response is not a
    // 200 with the expected body.
    bool handle(const Event& event);

    std::size_t handled() const { return handled_; }
    std::size_t size() const { return requests_.size(); }
    bool finished() const { return handled_ == requests_.size(); }
    // The messages of the requests not done yet, "request-0, request-1", for a timeout error.
    std::string unfinished() const;

private:
    struct Request {
        common::Fd stream;    // open until the response is complete, then closed (which also
                              // removes it from the epoll set: nobody else holds it)
        std::string message;  // the expected body, and the request's name in messages
        std::string response; // the bytes received so far
        bool done = false;    // a request is counted when this flips, once
    };

    Sink sink_;
    std::vector<Request> requests_; // indexed by token
    std::size_t handled_ = 0;
};

} // namespace ch02
