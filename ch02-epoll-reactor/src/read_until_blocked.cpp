// Implementation of read_until_blocked.hpp.
#include "read_until_blocked.hpp"

#include <common/error.hpp>
#include <common/http.hpp>

#include <cerrno>
#include <sys/socket.h>

namespace ch02 {

ReadOutcome read_until_blocked(int fd, std::string& into, std::size_t max_bytes) {
    // One buffer per thread, not per connection: a connection keeps only the bytes it received,
    // which matters when ten thousand of them are open at once.
    thread_local char buffer[4096];
    for (;;) {
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n > 0) {
            into.append(buffer, static_cast<std::size_t>(n));
            if (into.size() > max_bytes) {
                throw common::HttpError("response longer than " + std::to_string(max_bytes) +
                                        " bytes");
            }
            continue;
        }
        if (n == 0) {
            return ReadOutcome::Closed;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return ReadOutcome::WouldBlock;
        }
        common::throw_errno("read");
    }
}

} // namespace ch02
