// Exercise ch02/01, a reference answer: the same loop as the chapter's client, with two changes.
// The sockets are registered without Interest::edge_triggered(), so epoll reports a socket on every
// wait for as long as unread data (or the end of stream) is waiting; and each event gets one read
// of one chunk, no more. The price is visible in the report: one event per chunk instead of one per
// arrival.
#include "level_reader.hpp"

#include "ch02-epoll-reactor/src/poll.hpp"

#include <common/error.hpp>
#include <common/http.hpp>

#include <cerrno>
#include <stdexcept>
#include <system_error>

#include <sys/socket.h>

namespace ch02::exercise {

LevelReport fetch_level_triggered(const common::Endpoint& server,
                                  const std::vector<std::string>& paths, std::size_t chunk_bytes,
                                  std::chrono::milliseconds timeout) {
    using Clock = std::chrono::steady_clock;
    const auto end = Clock::now() + timeout;

    ch02::Poll poll;
    std::vector<common::Fd> streams(paths.size());
    std::vector<std::string> raw(paths.size());
    for (std::size_t i = 0; i < paths.size(); ++i) {
        streams[i] = common::connect_tcp(server, timeout);
        common::write_all(streams[i].get(), common::get_request(paths[i]), server.to_string());
        common::set_nonblocking(streams[i].get());
        // Level-triggered: no Interest::edge_triggered() here. This is the whole difference.
        poll.registry().register_fd(streams[i].get(), ch02::Token{i}, ch02::Interest::readable());
    }

    LevelReport report;
    report.bodies.resize(paths.size());
    std::size_t open = paths.size();
    std::string chunk(chunk_bytes == 0 ? 1 : chunk_bytes, '\0');
    ch02::Events events(16);
    while (open > 0) {
        const auto now = Clock::now();
        if (now >= end) {
            throw std::runtime_error("level-triggered: timed out");
        }
        // Rounded up: a wait rounded down to 0 ms would end the loop before the deadline.
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(end - now);
        poll.poll(events, left);
        for (const ch02::Event event : events) {
            const std::size_t i = event.token().value;
            if (i >= streams.size() || !streams[i]) {
                continue; // closed already in this round
            }
            ++report.events;
            ++report.reads;
            const ssize_t n = ::recv(streams[i].get(), chunk.data(), chunk.size(), 0);
            if (n < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                    continue; // a spurious event: level triggering reports it again if needed
                }
                common::throw_errno("read", server.to_string());
            }
            if (n == 0) {
                report.bodies[i] = common::ok_body(raw[i]);
                poll.registry().deregister(streams[i].get());
                streams[i].reset();
                --open;
                continue;
            }
            raw[i].append(chunk.data(), static_cast<std::size_t>(n));
            // No loop here: whatever is left in the socket makes the next wait report it again.
        }
    }
    return report;
}

} // namespace ch02::exercise
