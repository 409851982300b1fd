// Implementation of demo_handler.hpp: the book's handle_events, with a per-request "done" flag.
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
        // The fix for bug #4. The stream is closed already, so there is nothing to read; and had
        // we read it, end-of-stream would have said "done" a second time.
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
    // Closing removes the socket from the epoll set. Events for it may still sit in the batch the
    // caller is walking through; `done` makes the handler ignore them (and the closed descriptor
    // is never read, so a number the kernel reuses for a new socket is never mistaken for it).
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
