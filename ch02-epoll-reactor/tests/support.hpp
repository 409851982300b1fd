// Helpers for ch02's tests: a connected loopback TCP pair (one end to register with a Poll, one to
// play the server), and a bounded wait until a thread is asleep in the kernel, so cross-thread
// tests wake a poll that is really blocked — without sleeping to "give it time".
#pragma once

#include <common/error.hpp>
#include <common/fd.hpp>
#include <common/net.hpp>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

namespace ch02::test {

struct SocketPair {
    common::Fd near; // non-blocking, the end under test (registered with a Poll)
    common::Fd far;  // blocking, the peer that sends, shuts down or closes
};

// A real TCP connection over 127.0.0.1 (port 0), so EPOLLRDHUP, resets and buffering behave as
// they do with the delay server.
inline SocketPair tcp_pair() {
    common::Fd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!listener) {
        common::throw_errno("socket");
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(listener.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listener.get(), 1) != 0 ||
        ::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        common::throw_errno("listen", "127.0.0.1:0");
    }
    SocketPair pair;
    pair.near = common::connect_tcp(common::Endpoint{"127.0.0.1", ntohs(addr.sin_port)});
    // The handshake is complete, so the connection waits in the backlog: accept returns at once.
    pair.far.reset(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!pair.far) {
        common::throw_errno("accept4");
    }
    common::set_nonblocking(pair.near.get());
    return pair;
}

// Writes all of `text` from the blocking peer end.
inline void send_text(const common::Fd& fd, std::string_view text) {
    common::write_all(fd.get(), text, "test peer");
}

// The kernel's id of the calling thread, for wait_until_sleeping().
inline pid_t this_thread_id() {
    return ::gettid();
}

// Waits (bounded by `limit`) until thread `tid` of this process is in state S — sleeping in a
// system call, which for a thread that has just announced it is about to poll means epoll_wait.
// Returns false if that did not happen in time. It yields between looks at /proc; nothing here
// sleeps for a guessed amount of time.
inline bool wait_until_sleeping(pid_t tid,
                                std::chrono::milliseconds limit = std::chrono::seconds(5)) {
    const auto give_up = std::chrono::steady_clock::now() + limit;
    const std::string path = "/proc/self/task/" + std::to_string(tid) + "/stat";
    while (std::chrono::steady_clock::now() < give_up) {
        std::ifstream file(path);
        std::string stat;
        std::getline(file, stat);
        // "tid (name) S ...": the state follows the last ')' (the name may contain one).
        const auto paren = stat.rfind(')');
        if (paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'S') {
            return true;
        }
        std::this_thread::yield();
    }
    return false;
}

} // namespace ch02::test
