// The delay server of the book, in C++: `GET /<delay_ms>/<message>` is answered with status 200 and
// the percent-decoded message as body, `delay_ms` milliseconds after the request arrived, then the
// connection is closed. It is the fixture every demo, test and benchmark talks to, so it is built
// to never be the bottleneck: one thread, one epoll instance, a deadline heap, no thread per
// connection, and every kind of bad input answered with a 4xx (or a silent close) instead of a
// crash or a stall.
//
// Use it in-process (tests, the chapter programs' embedded server):
//     common::DelayServer server;              // 127.0.0.1, a free port, quiet
//     auto where = server.endpoint();          // connect here
// or as the `delayserver` program, the book's way, in a second terminal.
#pragma once

#include "common/fd.hpp"
#include "common/net.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace common {

struct DelayServerOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0; // 0: the kernel picks a free port; see DelayServer::endpoint()
    bool quiet = true;      // false: print "#<n> - <delay_ms>ms: <message>" per request
    // A connection whose request head is not complete within this time gets 408 and is closed,
    // so idle or slow clients cannot pile up. Tests make it short.
    std::chrono::milliseconds idle_timeout{5000};
    // Connections held at once. One more is answered 503 at once and closed, so a crowd of
    // clients (or of dead ones, see delay_server.cpp on clients that close early) cannot take
    // every descriptor and leave new clients waiting in the backlog. The default fits the
    // benchmark's largest workload (100,000 concurrent requests); keep it below the descriptor
    // limit, or the limit is reached first (`delayserver` lowers its default to fit).
    std::size_t max_connections = 100000;
    // Test hook: SO_SNDBUF for every accepted connection (0 leaves the kernel's choice). A tiny
    // buffer and a client that reads slowly make an answer not fit into one send(), so tests can
    // reach the Sending phase; the kernel rounds the value up to its minimum (4608 on Linux).
    int send_buffer_bytes = 0;
    // Test hook: the longest path accepted (a longer one gets 414). The message, and so the
    // answer, is at most this long; the default answers fit into any socket's buffers, so the
    // test of a client that stops reading raises it. The request head stays limited to 8 KiB.
    std::size_t max_path_bytes = 2048;
};

// Largest delay accepted; anything above is a 400, not clamped.
inline constexpr long kMaxDelayMs = 60L * 60 * 1000;

class DelayServer {
public:
    // Binds and listens (so connecting is possible as soon as the constructor returns), then
    // starts the server thread. Throws std::system_error when the address cannot be bound.
    explicit DelayServer(DelayServerOptions options = {});
    // Stops the thread, closes every connection still open and the listening socket.
    ~DelayServer();
    DelayServer(const DelayServer&) = delete;
    DelayServer& operator=(const DelayServer&) = delete;

    // Where it listens, with the real port when port 0 was asked for.
    const Endpoint& endpoint() const { return endpoint_; }
    std::uint16_t port() const { return endpoint_.port; }

    // Idempotent; the destructor calls it. Returns once the server thread has ended and every
    // connection it held is closed; the listening socket is closed too, so later connects are
    // refused instead of waiting in a backlog nobody accepts from.
    void stop();

    // Requests answered with 200 so far (read after stop(), or as a rough live figure).
    std::uint64_t answered() const;

    // Bytes its request parser has looked at so far, counting a byte again each time it is looked
    // at again. A test checks that a head trickled in one byte at a time costs work linear in
    // its length.
    std::uint64_t head_bytes_examined() const;

    // Test hook: makes the server thread die as if epoll_wait had failed, so a test can check what
    // a dead loop leaves behind. Returns at once; the thread dies on its next turn.
    void fail_for_test();

private:
    // The server thread's body. Everything it works with (connections, the deadline heap, buffers)
    // lives on its own stack in delay_server.cpp: nothing but the two counts below is shared
    // with other threads.
    void run();

    DelayServerOptions options_;
    Endpoint endpoint_;
    Fd listener_;
    Fd epoll_;
    Fd stop_event_; // eventfd: stop() writes it to wake the thread out of epoll_wait
    std::atomic<std::uint64_t> answered_{0};            // see answered()
    std::atomic<std::uint64_t> head_bytes_examined_{0}; // see head_bytes_examined()
    std::atomic<bool> failing_for_test_{false};         // see fail_for_test
    std::once_flag stopped_; // stop() runs its body once; later (or concurrent) calls wait for it
    std::thread thread_;
};

} // namespace common
