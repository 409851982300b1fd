// ch02-epoll-reactor: the book's a-epoll program (chapter 4) — five requests on five sockets,
// one thread, one Poll — and load mode, the same loop for N requests. The top of the
// layering for this chapter: Poll (poll.hpp), the demo's event handling (demo_handler.hpp) and
// the load client (load_client.hpp) do the work; this file is the book's `main`.
#include "demo_handler.hpp"
#include "load_client.hpp"
#include "poll.hpp"
#include "reactor_flag.hpp"
#include "ring_demo.hpp"
#include "syscalls.hpp"

#include <common/cli.hpp>
#include <common/example_flag.hpp>
#include <common/http.hpp>
#include <common/load.hpp>
#include <common/net.hpp>
#include <common/print.hpp>
#include <common/resources.hpp>
#include <common/server_target.hpp>
#include <common/trace.hpp>

#include <chrono>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <utility>

namespace {

using Clock = std::chrono::steady_clock;

const common::ExtraFlag kFlags[] = {
    {"--scale", "divide the demo's delays (5000, 4000, ... 1000 ms) by N", 1, 1, 1000},
};

const common::ProgramInfo kInfo{
    "ch02-epoll-reactor",
    "many sockets, one thread, one epoll event queue (book chapters 3-4, a-epoll);\n"
    "  --reactor uring runs the demo on an io_uring completion queue instead;\n"
    "  --example syscalls runs book ch. 3's examples instead: one write, three layers",
    kFlags,
};

// The book's main(): start five requests whose answers come back in reverse order, register
// them all with one Poll, and let one thread sleep in epoll_wait until each one is answered.
int run_demo(const common::Options& opts) {
    const common::ServerTarget server(opts, common::ServerTarget::Mode::Demo);
    const long scale = opts.extra_value("--scale");
    constexpr std::size_t n_events = 5;
    const long longest_delay = static_cast<long>(n_events) * 1000 / scale;
    const auto deadline = Clock::now() + opts.deadline(longest_delay);

    ch02::Poll poll;
    ch02::DemoHandler handler(common::println);

    for (std::size_t i = 0; i < n_events; ++i) {
        // Request 0 asks for the longest delay, so the answers arrive last-sent-first.
        const long delay = static_cast<long>(n_events - i) * 1000 / scale;
        const std::string message = "request-" + std::to_string(i);
        const std::string request = common::get_request(common::delay_path(delay, message));

        // As the book does: a blocking connect (on loopback it completes at once, and the run's
        // deadline bounds it if the server stops accepting), then non-blocking mode, so that no
        // read can ever put this one thread to sleep on one socket.
        common::Fd stream = common::connect_tcp(
            server.endpoint(),
            std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()));
        common::set_nonblocking(stream.get());
        // write_all on a non-blocking socket would fail with EAGAIN if the send buffer were full;
        // a fresh socket's buffer takes the ~60-byte request whole, as in the book.
        common::write_all(stream.get(), request, server.endpoint().to_string());

        // Token i: the event for this socket will carry i, which is how we find the stream again.
        // Edge-triggered: one notification per arrival of data, so the handler must drain it.
        poll.registry().register_fd(stream.get(), ch02::Token{i},
                                    ch02::Interest::readable() | ch02::Interest::edge_triggered());
        handler.add(ch02::Token{i}, std::move(stream), message);
    }

    ch02::Events events(10);
    while (!handler.finished()) {
        // The book waits with no timeout; we wait at most until the run's deadline, so a server
        // that never answers ends the program instead of hanging it.
        const auto left = deadline - Clock::now();
        if (left <= Clock::duration::zero()) {
            throw std::runtime_error("poll: no answer for " + handler.unfinished() + " within " +
                                     std::to_string(opts.deadline(longest_delay).count()) +
                                     " ms: timed out");
        }
        poll.poll(events, std::chrono::ceil<std::chrono::milliseconds>(left));

        if (events.empty()) {
            common::println("TIMEOUT (OR SPURIOUS EVENT NOTIFICATION)");
            continue;
        }
        for (const ch02::Event event : events) {
            common::trace::instant("event for token", event.token().value); // --trace
            handler.handle(event); // counts each request once, however many events it gets
        }
    }
    common::println("FINISHED");
    return 0;
}

// Load mode: the same idea for N requests, every body checked, one summary line on stdout.
int run_load(const common::Options& opts) {
    const common::ServerTarget server(opts, common::ServerTarget::Mode::Load);
    common::LoadTally tally;
    common::ThreadGauge gauge; // shows that one thread — this one — did all the work
    ch02::LoadRun run;
    {
        const common::ThreadGauge::Scope worker(gauge);
        run = ch02::run_load_client(server.endpoint(), opts.requests, opts.delay_ms,
                                    opts.deadline(opts.delay_ms), tally);
    }

    common::Summary summary = common::make_summary("ch02", opts.requests, opts.delay_ms, tally,
                                                   run.elapsed, gauge.peak());
    summary.extra = {{"polls", std::to_string(run.polls)}};
    return common::finish_load(summary, tally);
}

// The demo on the ring (ring_demo.hpp): the same five requests, completions instead of events.
int run_uring_demo(const common::Options& opts) {
    const common::ServerTarget server(opts, common::ServerTarget::Mode::Demo);
    const long scale = opts.extra_value("--scale");
    ch02::run_ring_demo(server.endpoint(), scale, opts.deadline(5 * 1000 / scale), common::println);
    return 0;
}

// Book ch. 3's side examples, reached by `--example NAME` instead of the demo.
const common::Example kExamples[] = {
    {"syscalls", ch02::run_syscalls_example}, // syscalls.hpp: raw, libc, C++
};

} // namespace

int main(int argc, char** argv) {
    if (const auto status = common::run_example(argc, argv, kExamples)) {
        return *status;
    }
    ch02::ReactorChoice choice;
    try {
        choice = ch02::take_reactor_flag(argc, argv);
    } catch (const std::exception& e) {
        common::eprintln(std::string("error: ") + e.what());
        return 1;
    }
    const bool uring = choice.kind == ch02::ReactorKind::Uring;
    return common::run_program(
        static_cast<int>(choice.rest.size()), choice.rest.data(), kInfo,
        [uring](const common::Options& opts) {
            if (uring && opts.load) {
                throw common::UsageError("--reactor uring: only the demo runs on the ring in "
                                         "this chapter (load mode on io_uring is ch04's)");
            }
            return opts.load ? run_load(opts) : uring ? run_uring_demo(opts) : run_demo(opts);
        });
}
