// Test helpers of ch03: scripted futures (not ready a set number of times, then ready; or failing)
// to drive the non-leaf futures step by step without a network, and a listening socket the test
// owns, to see exactly when a leaf future connects. Header-only; used by the tests in this folder.
#pragma once

#include "ch03-leaf-futures/src/future.hpp"

#include <common/error.hpp>
#include <common/fd.hpp>
#include <common/net.hpp>
#include <common/test_support/counted.hpp>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

namespace ch03::test {

// Returns NotReady `not_ready_polls` times, then Ready(value). Counts its polls in a counter the
// test owns (the future itself is owned, and may be destroyed, by the future under test) and
// carries a Counted, so a test can see when it is destroyed.
template <typename T>
class ScriptedFuture final : public Future<T> {
public:
    ScriptedFuture(int not_ready_polls, T value, int& polls)
        : remaining_(not_ready_polls), value_(std::move(value)), polls_(polls) {}

    PollState<T> poll() override {
        ++polls_;
        if (done_) {
            throw std::logic_error("ScriptedFuture polled after completion");
        }
        if (remaining_ > 0) {
            --remaining_;
            return not_ready;
        }
        done_ = true;
        return ready(std::move(value_));
    }

private:
    int remaining_;
    T value_;
    int& polls_;
    bool done_ = false;
    common::test::Counted counted_;
};

// Not ready `not_ready_polls` times, then throws std::runtime_error(message).
template <typename T>
class FailingFuture final : public Future<T> {
public:
    FailingFuture(int not_ready_polls, std::string message)
        : remaining_(not_ready_polls), message_(std::move(message)) {}

    PollState<T> poll() override {
        if (remaining_ > 0) {
            --remaining_;
            return not_ready;
        }
        throw std::runtime_error(message_);
    }

private:
    int remaining_;
    std::string message_;
    common::test::Counted counted_;
};

// The message of the exception `fn` throws, or "" when it throws nothing. (doctest 2.4.9 can only
// compare whole messages; this lets a test look for a part of one.)
inline std::string error_of(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const std::exception& e) {
        return e.what();
    }
    return "";
}

inline bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// A plain listening socket on 127.0.0.1 (free port), non-blocking, that the test accepts from by
// hand. The kernel completes a connect() against it without any accept(), so a connection can be
// seen (accept succeeds) or proved absent (accept says EAGAIN) at any moment, without waiting.
class Listener {
public:
    Listener() {
        fd_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
        if (!fd_) {
            common::throw_errno("socket");
        }
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::bind(fd_.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
            common::throw_errno("bind");
        }
        if (::listen(fd_.get(), 16) != 0) {
            common::throw_errno("listen");
        }
        socklen_t len = sizeof addr;
        if (::getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
            common::throw_errno("getsockname");
        }
        port_ = ntohs(addr.sin_port);
    }

    common::Endpoint endpoint() const { return common::Endpoint{"127.0.0.1", port_}; }

    // A connection that is waiting to be accepted (as a blocking socket with a 5 s receive
    // timeout), or an empty Fd when there is none. Never waits.
    common::Fd accept_pending() {
        const int fd = ::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                return common::Fd();
            }
            common::throw_errno("accept4");
        }
        common::Fd conn(fd);
        common::set_receive_timeout(conn.get(), std::chrono::seconds(5));
        return conn;
    }

private:
    common::Fd fd_;
    std::uint16_t port_ = 0;
};

// Reads a request head from a blocking socket (bounded by its receive timeout).
inline std::string read_request_head(int fd) {
    std::string head;
    char buffer[512];
    while (head.find("\r\n\r\n") == std::string::npos) {
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n <= 0) {
            throw std::runtime_error("read_request_head: connection ended or timed out");
        }
        head.append(buffer, static_cast<std::size_t>(n));
    }
    return head;
}

// A complete 200 response with `body`, as the delay server sends it.
inline std::string ok_response(const std::string& body) {
    return "HTTP/1.1 200 OK\r\ncontent-length: " + std::to_string(body.size()) +
           "\r\nconnection: close\r\n\r\n" + body;
}

} // namespace ch03::test
