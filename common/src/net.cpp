// Implementation of common/net.hpp.
#include "common/net.hpp"

#include "common/error.hpp"
#include "common/http.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <charconv>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdexcept>
#include <sys/socket.h>
#include <unistd.h>

namespace common {

std::string Endpoint::to_string() const {
    return host + ":" + std::to_string(port);
}

Endpoint parse_endpoint(std::string_view text) {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0) {
        throw std::invalid_argument("expected HOST:PORT, got '" + std::string(text) + "'");
    }
    const std::string_view port_text = text.substr(colon + 1);
    unsigned long port = 0;
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
        throw std::invalid_argument("expected a port 1..65535 in '" + std::string(text) + "'");
    }
    return Endpoint{std::string(text.substr(0, colon)), static_cast<std::uint16_t>(port)};
}

namespace {

sockaddr_in to_sockaddr(const Endpoint& to) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(to.port);
    // Only numeric IPv4 and "localhost": a name lookup (getaddrinfo) would be one more blocking
    // call in an async tutorial, and every server here is on loopback.
    const std::string host = to.host == "localhost" ? "127.0.0.1" : to.host;
    if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
        throw std::invalid_argument("connect " + to.to_string() +
                                    ": not a numeric IPv4 address (or localhost)");
    }
    return addr;
}

// "read 127.0.0.1:8080", or just "read" when the caller named no target.
std::string label(std::string_view call, std::string_view target) {
    std::string out(call);
    if (!target.empty()) {
        out += ' ';
        out += target;
    }
    return out;
}

} // namespace

namespace {

void set_send_timeout(int fd, std::chrono::milliseconds timeout) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
    if (::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0) {
        throw_errno("setsockopt SO_SNDTIMEO");
    }
}

} // namespace

Fd connect_tcp(const Endpoint& to, std::chrono::milliseconds timeout) {
    const sockaddr_in addr = to_sockaddr(to);
    Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) {
        throw_errno("socket");
    }
    set_send_timeout(fd.get(), std::max(timeout, std::chrono::milliseconds(1)));
    // Not retried on EINTR: a blocking connect interrupted by a signal goes on in the background,
    // and calling connect again would only report EALREADY. Our programs install no signal
    // handlers, so this does not happen; if it did, the error would say so.
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        if (errno == EINPROGRESS || errno == EAGAIN) {
            throw std::runtime_error("connect " + to.to_string() + ": timed out");
        }
        throw_errno("connect", to.to_string());
    }
    set_send_timeout(fd.get(), std::chrono::milliseconds(0)); // 0: blocking sends wait as usual
    // The requests are tiny and written in one go; Nagle's algorithm would only add latency.
    const int one = 1;
    ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

void set_nonblocking(int fd) {
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        throw_errno("fcntl O_NONBLOCK");
    }
}

void set_receive_timeout(int fd, std::chrono::milliseconds timeout) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
    if (tv.tv_sec == 0 && tv.tv_usec == 0) {
        tv.tv_usec = 1; // zero would mean "no timeout at all"
    }
    if (::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0) {
        throw_errno("setsockopt SO_RCVTIMEO");
    }
}

void write_all(int fd, std::string_view data, std::string_view target) {
    while (!data.empty()) {
        const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            throw_errno("write", target);
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
}

std::string read_to_eof(int fd, std::size_t max_bytes, std::string_view target) {
    std::string out;
    char buffer[4096];
    for (;;) {
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n == 0) {
            return out; // the peer closed: the response is complete (or truncated; the parser says)
        }
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                // On a blocking socket this only happens when SO_RCVTIMEO expired.
                throw std::runtime_error(label("read", target) + ": timed out");
            }
            throw_errno("read", target);
        }
        out.append(buffer, static_cast<std::size_t>(n));
        if (out.size() > max_bytes) {
            throw HttpError(label("read", target) + ": response longer than " +
                            std::to_string(max_bytes) + " bytes");
        }
    }
}

std::size_t send_some(int fd, std::string_view data, std::string_view target) {
    for (;;) {
        const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n >= 0) {
            return static_cast<std::size_t>(n);
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return 0;
        }
        throw_errno("write", target);
    }
}

} // namespace common
