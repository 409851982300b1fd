// Reading a non-blocking socket the way edge triggering demands: keep reading until the kernel says
// EAGAIN ("nothing more for now") or the peer closes. Stopping earlier would leave data in the
// socket that raises no new edge, and the reader would wait forever for an event that never comes.
// Chapters 3 to 5 read their sockets with this function, as the book's later chapters use mio's
// streams.
#pragma once

#include <cstddef>
#include <string>

namespace ch02 {

enum class ReadOutcome {
    WouldBlock, // drained: everything available was read, more may come later
    Closed,     // the peer closed its side: `into` holds the whole stream
};

// Appends what is available on `fd` to `into`. EINTR is retried. Throws std::system_error for
// socket errors (ECONNRESET, ...) and common::HttpError once `into` grows past `max_bytes`.
ReadOutcome read_until_blocked(int fd, std::string& into, std::size_t max_bytes);

} // namespace ch02
