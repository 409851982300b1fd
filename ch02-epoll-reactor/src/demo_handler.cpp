// Implementation of demo_handler.hpp: the book's handle_events, one event at a time; a request is
// counted once, when its response is complete.
#include "demo_handler.hpp"

#include "read_until_blocked.hpp"

#include <common/http.hpp>

#include <cstdint>
#include <exception>
#include <stdexcept>
#include <utility>

namespace ch02 {

std::string describe(const Event& event) {
    static constexpr struct {
        std::uint32_t bit;
        const char* name;
    } kFlags[] = {
        {EPOLLIN, "EPOLLIN"},   {EPOLLPRI, "EPOLLPRI"}, {EPOLLOUT, "EPOLLOUT"},
        {EPOLLERR, "EPOLLERR"}, {EPOLLHUP, "EPOLLHUP"}, {EPOLLRDHUP, "EPOLLRDHUP"},
    };
    std::string names;
    std::uint32_t rest = event.epoll_bits();
    for (const auto& flag : kFlags) {
        if ((rest & flag.bit) != 0) {
            names += names.empty() ? "" : " | ";
            names += flag.name;
            rest &= ~flag.bit;
        }
    }
    if (rest != 0 || names.empty()) { // bits without a name here, or no bits at all
        names += names.empty() ? "" : " | ";
        names += std::to_string(rest);
    }
    return "Event { token: " + std::to_string(event.token().value) + ", events: " + names + " }";
}

DemoHandler::DemoHandler(Sink sink) : sink_(std::move(sink)) {}

void DemoHandler::add(Token token, common::Fd stream, std::string message) {
    if (token.value != requests_.size()) {
        throw std::invalid_argument("DemoHandler::add: token " + std::to_string(token.value) +
                                    " out of order, expected " + std::to_string(requests_.size()));
    }
    requests_.push_back(Request{std::move(stream), std::move(message), {}, false});
}

bool DemoHandler::handle(const Event& event) {
    sink_("RECEIVED: " + describe(event));
    const std::uint64_t index = event.token().value;
    if (index >= requests_.size()) {
        sink_("(not a token of ours: ignored)");
        return false;
    }
    Request& request = requests_[index];
    if (request.done) {
        // The demo's own loop never gets here. epoll reports a descriptor at most once per
        // epoll_wait, and the stream was closed when its request completed, which took it out of
        // the epoll set before the next wait (see the end of this function). This check is for
        // events that reach the handler another way: a test that hands it the same event twice,
        // or a socket that stays registered after its request ended (a copy of the descriptor
        // kept open by dup or fork, or a variant that keeps its streams open as the book does).
        // Reading such a stream again would find end of stream again and count the request twice.
        sink_("(" + request.message + " was already handled: a repeated notification, ignored)");
        return false;
    }

    // Edge triggered: this event is the only notice we get for the data that is there now, so
    // read until the kernel says EAGAIN (or the server closes). A spurious event simply finds
    // nothing to read and returns WouldBlock at once.
    ReadOutcome outcome = ReadOutcome::WouldBlock;
    try {
        outcome =
            read_until_blocked(request.stream.get(), request.response, common::kMaxResponseBytes);
    } catch (const std::exception& e) {
        throw std::runtime_error(request.message + ": " + e.what());
    }
    if (outcome == ReadOutcome::WouldBlock) {
        return false; // everything available is read; the rest raises a new edge when it comes
    }

    // The server closed the connection (`Connection: close`): the response is complete. Print it
    // as the book does, line by line, then check it.
    std::string_view rest = request.response;
    while (!rest.empty()) {
        const std::size_t end = rest.find("\r\n");
        sink_(rest.substr(0, end));
        rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 2);
    }
    sink_("------");
    std::string body;
    try {
        body = common::ok_body(request.response);
    } catch (const std::exception& e) {
        throw std::runtime_error(request.message + ": " + e.what());
    }
    if (body != request.message) {
        throw std::runtime_error(request.message + ": wrong body '" + body.substr(0, 40) + "'");
    }

    request.done = true;
    // What really prevents the book's double count (upstream issue #4): the book kept every
    // stream open and registered to the end, so an edge raised after epoll_wait had returned
    // (typically the server's close arriving while this drain was still reading the body) was
    // reported by the *next* wait, whose read found end of stream once more and counted the
    // request again. Closing the stream here (this handler holds its only descriptor) removes it
    // from the epoll set at once, so no later wait can report it. The number is never read again
    // either, so a new socket that the kernel gives the same number is never mistaken for it.
    request.stream.reset();
    ++handled_;
    return true;
}

std::string DemoHandler::unfinished() const {
    std::string names;
    for (const Request& request : requests_) {
        if (!request.done) {
            names += names.empty() ? "" : ", ";
            names += request.message;
        }
    }
    return names;
}

} // namespace ch02
