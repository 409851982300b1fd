// TCP plumbing that no chapter teaches: parse "HOST:PORT", connect, switch a socket to
// non-blocking mode, and blocking write-all / read-to-EOF that survive EINTR and never raise
// SIGPIPE. IPv4 only, numeric addresses or "localhost": the repository talks to 127.0.0.1.
#pragma once

#include "common/fd.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace common {

struct Endpoint {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;

    std::string to_string() const; // "127.0.0.1:8080"
};

// Parses "HOST:PORT" (PORT 1..65535). Throws std::invalid_argument with a readable reason.
Endpoint parse_endpoint(std::string_view text);

// How long connect_tcp waits at most, unless told otherwise.
inline constexpr std::chrono::milliseconds kDefaultConnectTimeout{10'000};

// Blocking connect, as the book does before it switches the stream to non-blocking. Throws
// std::system_error "connect HOST:PORT: <reason>", or std::runtime_error
// "connect HOST:PORT: timed out" after `timeout`.
//
// Why a timeout on loopback: a connect to a listening socket normally completes at once, but when
// the server's accept queue is full the kernel drops the handshake and retries it for minutes. A
// run's deadline must bound that too, so the wait is limited (SO_SNDTIMEO, which Linux applies to
// a blocking connect) and the socket is left without a send timeout afterwards.
Fd connect_tcp(const Endpoint& to, std::chrono::milliseconds timeout = kDefaultConnectTimeout);

// O_NONBLOCK on: reads and writes return EAGAIN instead of waiting.
void set_nonblocking(int fd);

// SO_RCVTIMEO: a blocking read waits at most `timeout`, then fails with EAGAIN. Chapter 1 uses it
// as its deadline (read_to_eof turns the EAGAIN into "timed out").
void set_receive_timeout(int fd, std::chrono::milliseconds timeout);

// Writes every byte (blocking socket), retrying on EINTR and short writes. Uses MSG_NOSIGNAL, so a
// peer that has gone away is an EPIPE error here rather than a SIGPIPE that kills the process.
void write_all(int fd, std::string_view data, std::string_view target = {});

// Reads until the peer closes (blocking socket). Throws std::system_error on errors, "timed out"
// when a receive timeout expires, and common::HttpError when more than `max_bytes` arrive.
std::string read_to_eof(int fd, std::size_t max_bytes, std::string_view target = {});

// One call to send() on a non-blocking socket: returns how many bytes went out, 0 on EAGAIN.
// MSG_NOSIGNAL as above; EINTR retried; other errors thrown.
std::size_t send_some(int fd, std::string_view data, std::string_view target = {});

} // namespace common
