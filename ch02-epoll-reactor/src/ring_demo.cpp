// Implementation of ring_demo.hpp: five requests, each a little state machine moved along by its
// completions — connect done: submit the send; send done: submit a recv; recv with bytes: keep
// them, submit the next recv; recv with 0 bytes: the server closed, the response is complete.
#include "ring_demo.hpp"

#include "ring.hpp"

#include <common/error.hpp>
#include <common/http.hpp>

#include <array>
#include <stdexcept>
#include <string>
#include <vector>

#include <sys/socket.h>

namespace ch02 {
namespace {

using Clock = std::chrono::steady_clock;

enum class Op : std::uint64_t { Connect = 1, Send = 2, Recv = 3, Cancel = 4 };

// user_data carries both the request's index and the operation: index * 8 + op. It is the
// completion model's Token: the only thing a completion tells us about where it belongs.
std::uint64_t token(std::size_t index, Op op) {
    return static_cast<std::uint64_t>(index) * 8 + static_cast<std::uint64_t>(op);
}
std::size_t index_of(std::uint64_t user_data) {
    return static_cast<std::size_t>(user_data / 8);
}
Op op_of(std::uint64_t user_data) {
    return static_cast<Op>(user_data % 8);
}
const char* name(Op op) {
    switch (op) {
    case Op::Connect:
        return "connect";
    case Op::Send:
        return "send";
    case Op::Recv:
        return "recv";
    case Op::Cancel:
        return "cancel";
    }
    return "?";
}

// One request. Everything the kernel reads or writes for it lives here — the address for the
// connect, the request bytes for the send, the buffer for the recv — and the vector that holds
// the requests is never resized once an operation is submitted, so none of it moves.
struct Request {
    common::Fd stream;
    std::string message; // the expected body, and the request's name
    sockaddr_in address{};
    std::string request;
    std::array<char, 4096> buffer{};
    std::string response;
    bool in_flight = false;   // an operation is submitted and its completion not yet seen
    Op pending = Op::Connect; // which one (only one per request is ever in flight)
    bool done = false;
};

class Demo {
public:
    Demo(Ring& ring, const std::function<void(std::string_view)>& sink)
        : ring_(ring), sink_(sink) {}

    void add(Request request) { requests_.push_back(std::move(request)); }
    void reserve(std::size_t n) { requests_.reserve(n); }

    void submit(std::size_t i, Op op) {
        io_uring_sqe* sqe = ring_.next_sqe();
        if (sqe == nullptr) { // five requests, one operation each: cannot happen with 8 slots
            ring_.submit();
            sqe = ring_.next_sqe();
        }
        if (sqe == nullptr) {
            throw std::runtime_error("io_uring: submission queue full");
        }
        Request& r = requests_[i];
        switch (op) {
        case Op::Connect:
            prep_connect(sqe, r.stream.get(), r.address, token(i, op));
            break;
        case Op::Send:
            prep_send(sqe, r.stream.get(), r.request.data(), r.request.size(), token(i, op));
            break;
        case Op::Recv:
            prep_recv(sqe, r.stream.get(), r.buffer.data(), r.buffer.size(), token(i, op));
            break;
        case Op::Cancel:
            break;
        }
        r.in_flight = true;
        r.pending = op;
    }

    // Moves request i along after one completion. Throws "request-3: <why>" on a failure.
    void handle(const Completion& c, const std::string& target) {
        const std::size_t i = index_of(c.user_data);
        const Op op = op_of(c.user_data);
        sink_("COMPLETED: Completion { user_data: " + std::to_string(c.user_data) + " (" +
              (i < requests_.size() ? requests_[i].message : "?") + " " + name(op) +
              "), result: " + std::to_string(c.result) + " }");
        if (op == Op::Cancel || i >= requests_.size()) {
            return;
        }
        Request& r = requests_[i];
        r.in_flight = false;
        if (c.result < 0) {
            // The result is what the system call would have returned: -errno.
            throw std::runtime_error(r.message + ": " +
                                     common::sys_error(-c.result, name(op), target).what());
        }
        switch (op) {
        case Op::Connect:
            submit(i, Op::Send);
            break;
        case Op::Send:
            if (static_cast<std::size_t>(c.result) != r.request.size()) {
                throw std::runtime_error(r.message + ": send " + target + ": request did not fit");
            }
            submit(i, Op::Recv);
            break;
        case Op::Recv:
            if (c.result > 0) {
                // The kernel has already put the bytes in our buffer: we only keep them.
                r.response.append(r.buffer.data(), static_cast<std::size_t>(c.result));
                if (r.response.size() > common::kMaxResponseBytes) {
                    throw std::runtime_error(r.message + ": response too large");
                }
                submit(i, Op::Recv);
            } else {
                finish(r);
            }
            break;
        case Op::Cancel:
            break;
        }
    }

    bool finished() const { return finished_ == requests_.size(); }
    std::string unfinished() const {
        std::string names;
        for (const Request& r : requests_) {
            if (!r.done) {
                names += (names.empty() ? "" : ", ") + r.message;
            }
        }
        return names;
    }

    // After a failure: cancel every operation still in flight and wait (at most `limit`) for all
    // their completions, so the kernel is done with every buffer before the requests are freed.
    void cancel_in_flight(std::chrono::milliseconds limit) noexcept {
        try {
            for (std::size_t i = 0; i < requests_.size(); ++i) {
                if (requests_[i].in_flight) {
                    io_uring_sqe* sqe = ring_.next_sqe();
                    if (sqe == nullptr) {
                        ring_.submit();
                        sqe = ring_.next_sqe();
                    }
                    if (sqe != nullptr) {
                        prep_cancel(sqe, token(i, requests_[i].pending), token(i, Op::Cancel));
                    }
                }
            }
            const auto until = Clock::now() + limit;
            while (any_in_flight() && Clock::now() < until) {
                ring_.submit_and_wait(until - Clock::now());
                while (const auto c = ring_.next_completion()) {
                    if (op_of(c->user_data) != Op::Cancel &&
                        index_of(c->user_data) < requests_.size()) {
                        requests_[index_of(c->user_data)].in_flight = false;
                    }
                }
            }
        } catch (...) {
            // Best effort: the error being reported matters more.
        }
    }

private:
    bool any_in_flight() const {
        for (const Request& r : requests_) {
            if (r.in_flight) {
                return true;
            }
        }
        return false;
    }

    void finish(Request& r) {
        // The server closed the connection: the response is complete. Print it as the epoll demo
        // does, then check it.
        std::string_view rest = r.response;
        while (!rest.empty()) {
            const std::size_t end = rest.find("\r\n");
            sink_(rest.substr(0, end));
            rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 2);
        }
        sink_("------");
        std::string body;
        try {
            body = common::ok_body(r.response);
        } catch (const std::exception& e) {
            throw std::runtime_error(r.message + ": " + e.what());
        }
        if (body != r.message) {
            throw std::runtime_error(r.message + ": wrong body '" + body.substr(0, 40) + "'");
        }
        r.done = true;
        r.stream.reset();
        ++finished_;
    }

    Ring& ring_;
    const std::function<void(std::string_view)>& sink_;
    std::vector<Request> requests_;
    std::size_t finished_ = 0;
};

} // namespace

RingDemoResult run_ring_demo(const common::Endpoint& server, long scale,
                             std::chrono::milliseconds deadline,
                             const std::function<void(std::string_view)>& sink) {
    constexpr std::size_t n_requests = 5;
    const auto until = Clock::now() + deadline;
    const std::string target = server.to_string();
    Ring ring(8); // one operation per request in flight at a time, and room to cancel each

    Demo demo(ring, sink);
    demo.reserve(n_requests);
    for (std::size_t i = 0; i < n_requests; ++i) {
        // Request 0 asks for the longest delay, so the answers arrive last-sent-first.
        const long delay = static_cast<long>(n_requests - i) * 1000 / scale;
        Request r;
        r.message = "request-" + std::to_string(i);
        r.request = common::get_request(common::delay_path(delay, r.message));
        r.address = ipv4_address(server.host, server.port);
        // A plain blocking socket: the ring never blocks on it. The kernel runs each operation
        // asynchronously whatever the socket's mode, so there is no set_nonblocking here.
        r.stream.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        if (!r.stream) {
            common::throw_errno("socket");
        }
        demo.add(std::move(r));
    }

    try {
        // All five connects are queued first, then handed over in one system call.
        for (std::size_t i = 0; i < n_requests; ++i) {
            demo.submit(i, Op::Connect);
        }
        sink("SUBMITTED: " + std::to_string(ring.pending()) + " connects");
        while (!demo.finished()) {
            const auto left = until - Clock::now();
            if (left <= Clock::duration::zero()) {
                throw std::runtime_error("ring: no answer for " + demo.unfinished() + " within " +
                                         std::to_string(deadline.count()) + " ms: timed out");
            }
            // Submits whatever the last completions queued (the next send or recv) and sleeps
            // until a completion arrives: one system call for both.
            ring.submit_and_wait(left);
            while (const std::optional<Completion> c = ring.next_completion()) {
                demo.handle(*c, target);
            }
        }
    } catch (...) {
        demo.cancel_in_flight(std::chrono::milliseconds(1000));
        throw;
    }
    // Every system call the ring made (the five socket() calls and the closes aside).
    sink("io_uring_enter calls: " + std::to_string(ring.enter_calls()));
    sink("FINISHED");
    return RingDemoResult{ring.enter_calls()};
}

} // namespace ch02
