// Implementation of load_client.hpp: connect everything, then one loop on one Poll.
#include "load_client.hpp"

#include "poll.hpp"
#include "read_until_blocked.hpp"

#include <common/fd.hpp>
#include <common/http.hpp>

#include <exception>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace ch02 {
namespace {

// Everything one request needs while it is in flight. Kept small on purpose — ten thousand of
// them are alive at once: no read buffer of its own (read_until_blocked uses one per thread), and
// no index field, because the position in the vector *is* the index and the epoll token.
struct Connection {
    common::Fd stream;    // closed the moment the response is complete (or fails)
    std::string response; // the bytes received so far
};

} // namespace

LoadRun run_load_client(const common::Endpoint& server, std::size_t requests, long delay_ms,
                        std::chrono::milliseconds deadline, common::LoadTally& tally) {
    using Clock = std::chrono::steady_clock;
    const auto start = Clock::now();
    const auto give_up = start + deadline;
    const std::string target = server.to_string();

    Poll poll;
    const Registry registry = poll.registry();
    std::vector<Connection> connections(requests);
    std::size_t open = 0;

    // Phase 1: start every request, as the demo does. connect_tcp blocks until the handshake is
    // done, which on loopback is a few microseconds; the waiting that matters (the server's delay)
    // happens in phase 2, for all connections at once. A server that stops accepting (its accept
    // queue full) would leave a blocking connect in the kernel's SYN retries for minutes, so each
    // connect is bounded by what is left of the deadline. (A non-blocking connect waited on for
    // EPOLLOUT would not block at all; the book connects blocking, and so do we.)
    for (std::size_t i = 0; i < requests; ++i) {
        try {
            const auto left = std::chrono::ceil<std::chrono::milliseconds>(give_up - Clock::now());
            common::Fd stream = common::connect_tcp(server, left);
            common::set_nonblocking(stream.get());
            // write_all on a non-blocking socket would fail with EAGAIN if the send buffer were
            // full; a fresh socket's buffer takes the ~60-byte request whole, as in the book.
            common::write_all(stream.get(), common::get_request(common::load_path(delay_ms, i)),
                              target);
            registry.register_fd(stream.get(), Token{i},
                                 Interest::readable() | Interest::edge_triggered());
            connections[i].stream = std::move(stream);
            ++open;
        } catch (const std::exception& e) {
            tally.fail(i, e.what());
        }
    }

    // Phase 2: sleep in epoll_wait until some sockets are ready, drain those, repeat. The thread
    // only runs when there is something to read — that is the whole point of an event queue.
    Events events(1024);
    LoadRun run;
    while (open > 0) {
        const auto left = give_up - Clock::now();
        if (left <= Clock::duration::zero()) {
            break;
        }
        poll.poll(events, std::chrono::ceil<std::chrono::milliseconds>(left));
        ++run.polls;
        for (const Event event : events) {
            const std::size_t i = event.token().value;
            // In range: epoll only hands back tokens we registered, and phase 1 registered each
            // socket under its own index i < requests; nothing else (no waker) shares this Poll.
            // A token out of range is a bug in this file (a token that is not the index), and
            // indexing with it would read past the vector: stop loudly, in every build.
            if (i >= connections.size()) {
                throw std::logic_error("run_load_client: event for unknown token " +
                                       std::to_string(i));
            }
            Connection& connection = connections[i];
            if (!connection.stream) {
                // Finished already. epoll cannot report a closed stream (see below), so this is
                // a guard, not a path: a request must never be counted twice (upstream #4).
                continue;
            }
            try {
                if (read_until_blocked(connection.stream.get(), connection.response,
                                       common::kMaxResponseBytes) == ReadOutcome::WouldBlock) {
                    continue; // drained, not complete: the next edge brings the rest
                }
                tally.check(i, connection.response); // end of stream: the response is complete
            } catch (const std::exception& e) {
                tally.fail(i, e.what()); // ECONNRESET, a response past the size limit, ...
            }
            // Just close: that removes the socket from the epoll set (nobody else holds it), so
            // an explicit deregister would be one more system call per request for nothing. It
            // is also what keeps a late edge (the server's close arriving during the drain above)
            // from being reported by the next wait and read as a second end of stream.
            connection.stream.reset();
            std::string().swap(connection.response); // give the memory back now, not at the end
            --open;
        }
    }

    // The deadline passed with requests in flight (a silent server): those fail, and close.
    const std::string late = "no answer within " + std::to_string(deadline.count()) + " ms from " +
                             target + ": timed out";
    for (std::size_t i = 0; i < requests && open > 0; ++i) {
        if (connections[i].stream) {
            tally.fail(i, late);
            connections[i].stream.reset();
            --open;
        }
    }
    run.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    return run;
}

} // namespace ch02
