// ch02-epoll-mio-asio: book ch. 4's b-epoll-mio in C++. The book runs its a-epoll program a second
// time on mio, the production library its Poll was modelled on, and only a few lines change. Here
// the same five-request demo runs on standalone asio's readiness API, the closest C++ counterpart
// of mio: an asio::io_context owns an epoll instance (asio's epoll_reactor), and
// `socket.async_wait(wait_read, handler)` asks it to call `handler` once the socket is readable.
// The streams, the requests and the event handling (ch02::DemoHandler) are the ones main.cpp uses;
// only the event queue changes. Built only when asio is installed (Debian: libasio-dev).
//
// Side by side, our Poll, mio, and asio:
//   ch02::Poll poll;                      mio::Poll::new()         asio::io_context io;
//   registry().register_fd(fd, Token{i},  registry().register(     socket.async_wait(wait_read,
//       readable | edge_triggered)            &mut s, Token(i),        [i](...) { ... })
//                                             Interest::READABLE)
//   poll.poll(events, timeout)            poll.poll(&mut events,   io.run_one_for(timeout)
//                                             timeout)
//   for each Event: handle(event)         for each Event: ...      the handler runs, with its i
#include "demo_handler.hpp"
#include "poll.hpp"

#include <common/cli.hpp>
#include <common/error.hpp>
#include <common/fd.hpp>
#include <common/http.hpp>
#include <common/net.hpp>
#include <common/print.hpp>
#include <common/server_target.hpp>

#include <asio.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/epoll.h>

namespace {

using Clock = std::chrono::steady_clock;

const common::ExtraFlag kFlags[] = {
    {"--scale", "divide the demo's delays (5000, 4000, ... 1000 ms) by N", 1, 1, 1000},
};

const common::ProgramInfo kInfo{
    "ch02-epoll-mio-asio",
    "ch02's five-request demo on asio's readiness API, as the book's b-epoll-mio runs it on mio",
    kFlags,
};

// The event a completed wait stands for. asio's wait says only "readable", with no flags, so the
// handler gets EPOLLIN and the token: what mio's Event offers as token() and is_readable().
ch02::Event readable_event(std::size_t token) {
    epoll_event raw{};
    raw.events = EPOLLIN;
    raw.data.u64 = token;
    return ch02::Event(raw);
}

// asio wants a descriptor of its own to watch; the handler keeps the one it reads from and closes
// when the response is complete. Both name the same socket, so readiness is the same.
asio::ip::tcp::socket watch(asio::io_context& io, const common::Fd& stream) {
    common::Fd copy(::fcntl(stream.get(), F_DUPFD_CLOEXEC, 0));
    if (!copy) {
        common::throw_errno("dup");
    }
    asio::ip::tcp::socket socket(io);
    socket.assign(asio::ip::tcp::v4(), copy.release());
    return socket;
}

int run_demo(const common::Options& opts) {
    const common::ServerTarget server(opts, common::ServerTarget::Mode::Demo);
    const long scale = opts.extra_value("--scale");
    constexpr std::size_t n_events = 5;
    const long longest_delay = static_cast<long>(n_events) * 1000 / scale;
    const auto deadline = Clock::now() + opts.deadline(longest_delay);

    // mio: `let mut poll = Poll::new()?;`
    asio::io_context io;
    ch02::DemoHandler handler(common::println);
    std::vector<asio::ip::tcp::socket> watched;
    watched.reserve(n_events); // the handlers below refer to elements: no reallocation

    // mio: `poll.registry().register(&mut stream, Token(i), Interest::READABLE)`. asio has no
    // token: the handler captures i instead. A wait is one-shot, so the handler asks again for as
    // long as the response is incomplete. asio registers the socket edge-triggered, as mio and
    // our Poll do, and a wait hears only of edges that come after it is queued. That is safe
    // here because the handler drains to EAGAIN before it waits again, and it runs on the one
    // thread that runs the io_context: no edge can pass between the drain and the new wait.
    std::function<void(std::size_t)> wait_for_read = [&](std::size_t i) {
        watched[i].async_wait(asio::ip::tcp::socket::wait_read, [&, i](const asio::error_code& ec) {
            if (ec) {
                throw std::runtime_error("async_wait: request-" + std::to_string(i) + ": " +
                                         ec.message());
            }
            if (!handler.handle(readable_event(i))) {
                wait_for_read(i); // more to come (or a spurious wake): wait for the next edge
            }
        });
    };

    for (std::size_t i = 0; i < n_events; ++i) {
        const long delay = static_cast<long>(n_events - i) * 1000 / scale;
        const std::string message = "request-" + std::to_string(i);
        const std::string request = common::get_request(common::delay_path(delay, message));
        common::Fd stream = common::connect_tcp(
            server.endpoint(),
            std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()));
        common::set_nonblocking(stream.get());
        common::write_all(stream.get(), request, server.endpoint().to_string());

        watched.push_back(watch(io, stream));
        handler.add(ch02::Token{i}, std::move(stream), message);
        wait_for_read(i);
    }

    // mio: `poll.poll(&mut events, None)?` then handle_events. run_one_for sleeps in epoll_wait
    // until one wait completes, then runs its handler; it returns 0 when the time is up.
    while (!handler.finished()) {
        const auto left = deadline - Clock::now();
        if (left <= Clock::duration::zero()) {
            throw std::runtime_error("poll: no answer for " + handler.unfinished() + " within " +
                                     std::to_string(opts.deadline(longest_delay).count()) +
                                     " ms: timed out");
        }
        if (io.run_one_for(left) == 0) {
            common::println("TIMEOUT (OR SPURIOUS EVENT NOTIFICATION)");
        }
    }
    common::println("FINISHED");
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    return common::run_program(argc, argv, kInfo, [](const common::Options& opts) {
        if (opts.load) {
            throw common::UsageError("--requests/--delay-ms: this program runs only the demo "
                                     "(load mode is ch02-epoll-reactor's)");
        }
        return run_demo(opts);
    });
}
