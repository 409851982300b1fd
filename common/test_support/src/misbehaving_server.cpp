// The misbehaving server of the test support: one thread, one epoll instance, any number of
// connections, each of which reads a request head and then misbehaves in the chosen way. Every
// chapter's client tests run against it, so it must itself never hang, crash or leak.
#include "common/test_support/misbehaving_server.hpp"

#include "common/error.hpp"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <queue>
#include <string>
#include <unordered_map>
#include <utility>

#include <arpa/inet.h>
#include <cerrno>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

namespace common::test {

std::string_view to_string(Misbehavior m) {
    switch (m) {
    case Misbehavior::Silent:
        return "silent";
    case Misbehavior::CloseBeforeAnswer:
        return "close-before-answer";
    case Misbehavior::CloseMidBody:
        return "close-mid-body";
    case Misbehavior::Garbage:
        return "garbage";
    case Misbehavior::Trickle:
        return "trickle";
    case Misbehavior::LongerBodyPromised:
        return "longer-body-promised";
    case Misbehavior::Reset:
        return "reset";
    }
    return "unknown";
}

namespace {

using Clock = std::chrono::steady_clock;

// Tokens in epoll_event::data.u64. Connections get ids from kFirstConnection upwards and an id is
// never reused, so a stale timer entry for a closed connection can never hit a newer one that
// happens to get the same descriptor number.
constexpr std::uint64_t kListenerToken = 0;
constexpr std::uint64_t kStopToken = 1;
constexpr std::uint64_t kFirstConnection = 2;

// A request head longer than this is not a request we will ever answer: drop the connection.
constexpr std::size_t kMaxRequestBytes = 64 * 1024;

// Trickle's pace: one byte per tick. epoll_wait's timeout has millisecond resolution, so the
// actual gap is 1–2 ms.
constexpr auto kTrickleInterval = std::chrono::milliseconds(1);

// What happens once the pending output has gone out.
enum class After {
    Close,    // orderly close: the client reads what was sent, then end of stream
    KeepOpen, // hold the connection until the client gives up or the server stops
};

struct Connection {
    std::uint64_t id; // the epoll token and timer key
    Fd fd;
    std::string in;             // request bytes until the head is complete
    bool answered = false;      // the head arrived and the misbehaviour has started
    std::string out;            // what is still to be sent ...
    std::size_t sent = 0;       // ... and how much of it went out already
    bool want_writable = false; // EPOLLOUT registered: a bulk send hit a full socket buffer
    After after = After::Close;
};

std::string response_head(std::size_t content_length) {
    return "HTTP/1.1 200 OK\r\ncontent-length: " + std::to_string(content_length) +
           "\r\nconnection: close\r\n\r\n";
}

// Runs on the server thread only; owns every connection, so nothing here needs a lock. The epoll
// set is level-triggered: simpler than edge-triggered (no event is lost if a handler stops early)
// and a test fixture does not need the saved wakeups. Reads are drained anyway, see below.
class Loop {
public:
    Loop(Misbehavior mode, int listener, int epoll)
        : mode_(mode), listener_(listener), epoll_(epoll) {}

    void run() {
        epoll_event events[64];
        for (;;) {
            const int n = epoll_wait(epoll_, events, 64, timeout_ms());
            if (n < 0) {
                if (errno == EINTR) {
                    continue;
                }
                // Nothing sensible to do on a thread that must not throw: say so and stop. The
                // tests then fail on their own deadlines with a message that points here.
                std::perror("misbehaving server: epoll_wait");
                return;
            }
            for (int i = 0; i < n; ++i) {
                const std::uint64_t token = events[i].data.u64;
                if (token == kStopToken) {
                    return; // ~Loop closes every connection still open
                }
                if (token == kListenerToken) {
                    accept_all();
                } else {
                    on_event(token, events[i].events);
                }
            }
            fire_timers();
        }
    }

private:
    // Accepts until EAGAIN: with a level-triggered listener that is not required, but it takes a
    // burst of hundreds of connects in one wakeup instead of one per epoll_wait.
    void accept_all() {
        for (;;) {
            const int fd = accept4(listener_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0) {
                if (errno == EMFILE || errno == ENFILE) {
                    // Out of descriptors. The pending connection stays in the backlog and the
                    // level-triggered listener would wake us at once, forever: stop watching it
                    // until a connection closes and frees a descriptor.
                    watch_listener(false);
                }
                // EAGAIN: drained. EINTR, ECONNABORTED and friends: the client is gone or the
                // next wakeup will retry. Either way nothing to do now.
                return;
            }
            // Without TCP_NODELAY, Nagle's algorithm would hold back each trickled byte until the
            // previous one is acknowledged and coalesce them, which is not a trickle any more.
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            const std::uint64_t id = next_id_++;
            epoll_event ev{};
            ev.events = EPOLLIN;
            ev.data.u64 = id;
            if (epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev) < 0) {
                close(fd);
                continue;
            }
            conns_.emplace(id, Connection{id, Fd(fd), {}, false, {}, 0, false, After::Close});
        }
    }

    void watch_listener(bool on) {
        if (listener_watched_ == on) {
            return;
        }
        epoll_event ev{};
        ev.events = on ? EPOLLIN : 0u;
        ev.data.u64 = kListenerToken;
        if (epoll_ctl(epoll_, EPOLL_CTL_MOD, listener_, &ev) == 0) {
            listener_watched_ = on;
        }
    }

    void on_event(std::uint64_t id, std::uint32_t events) {
        auto it = conns_.find(id);
        if (it == conns_.end()) {
            return;
        }
        Connection& c = it->second;
        if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
            if (!read_available(c)) {
                drop(it);
                return;
            }
            if (!c.answered && c.in.find("\r\n\r\n") != std::string::npos) {
                if (!misbehave(c)) {
                    drop(it);
                    return;
                }
            }
        }
        if ((events & EPOLLOUT) && c.want_writable && !flush(c)) {
            drop(it);
        }
    }

    // Reads everything the socket holds (level-triggered, but draining now means a close or an
    // RST that follows cannot discard request bytes we have not read). Before the head is
    // complete the bytes are kept; after it, whatever the client sends is ignored. Returns false
    // when the connection is finished: end of stream, an error, or an over-long head.
    bool read_available(Connection& c) {
        char buf[4096];
        for (;;) {
            const ssize_t n = recv(c.fd.get(), buf, sizeof buf, 0);
            if (n > 0) {
                if (!c.answered) {
                    c.in.append(buf, static_cast<std::size_t>(n));
                    if (c.in.size() > kMaxRequestBytes) {
                        return false;
                    }
                }
                continue;
            }
            if (n == 0) {
                return false; // the client closed (or gave up on its deadline)
            }
            if (errno == EINTR) {
                continue;
            }
            return errno == EAGAIN || errno == EWOULDBLOCK;
        }
    }

    // The request head is complete: start misbehaving. Returns false to close right away.
    bool misbehave(Connection& c) {
        c.answered = true;
        c.in.clear();
        c.in.shrink_to_fit();
        switch (mode_) {
        case Misbehavior::Silent:
            c.after = After::KeepOpen;
            return true;
        case Misbehavior::CloseBeforeAnswer:
            return false;
        case Misbehavior::CloseMidBody:
            c.out = response_head(32) + "0123456789";
            c.after = After::Close;
            return flush(c);
        case Misbehavior::Garbage: {
            // No status line, no CRLF, NUL and 0xff bytes: nothing an HTTP parser may accept.
            static constexpr char kGarbage[] = "\x00\xff\xfe\x01garbage\x00\x80\xff not http";
            c.out.assign(kGarbage, sizeof kGarbage - 1); // sizeof: the NULs are part of it
            c.after = After::Close;
            return flush(c);
        }
        case Misbehavior::Trickle: {
            c.out = response_head(kTrickleBody.size()) + std::string(kTrickleBody);
            c.after = After::Close;
            return trickle_one(c); // the first byte now, the rest from fire_timers()
        }
        case Misbehavior::LongerBodyPromised:
            c.out = response_head(1000) + "0123456789";
            c.after = After::KeepOpen;
            return flush(c);
        case Misbehavior::Reset: {
            // l_linger 0 makes close() abort the connection: RST instead of FIN, so the client's
            // next read fails with ECONNRESET rather than seeing an orderly end of stream.
            linger lg{1, 0};
            setsockopt(c.fd.get(), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
            return false;
        }
        }
        return false;
    }

    // Sends as much of `out` as the socket takes. MSG_NOSIGNAL because the client may already have
    // gone: that must be an EPIPE for this connection, not a SIGPIPE that kills the test binary.
    // Returns false when the connection is finished (error, or everything sent and After::Close).
    bool flush(Connection& c) {
        while (c.sent < c.out.size()) {
            const ssize_t n =
                send(c.fd.get(), c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
            if (n > 0) {
                c.sent += static_cast<std::size_t>(n);
                continue;
            }
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                // Socket buffer full (not with these few bytes, but be correct): wait for room.
                return set_writable_interest(c, true);
            }
            return false;
        }
        if (c.want_writable && !set_writable_interest(c, false)) {
            return false;
        }
        return c.after == After::KeepOpen;
    }

    bool set_writable_interest(Connection& c, bool on) {
        epoll_event ev{};
        ev.events = on ? (EPOLLIN | EPOLLOUT) : EPOLLIN;
        ev.data.u64 = c.id;
        c.want_writable = on;
        return epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd.get(), &ev) == 0;
    }

    // Sends the next byte of a trickling connection and schedules the one after. Returns false
    // when the connection is finished (all sent, or the client vanished).
    bool trickle_one(Connection& c) {
        if (c.sent < c.out.size()) {
            const ssize_t n = send(c.fd.get(), c.out.data() + c.sent, 1, MSG_NOSIGNAL);
            if (n == 1) {
                ++c.sent;
            } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                return false;
            } // EAGAIN / EINTR: try the same byte on the next tick
        }
        if (c.sent == c.out.size()) {
            return false; // After::Close: the whole response went out
        }
        timers_.push({Clock::now() + kTrickleInterval, c.id});
        return true;
    }

    // Per-connection timers in one min-heap. Entries of connections closed in the meantime are
    // skipped when they come up (lazy deletion), which is cheaper than searching the heap.
    void fire_timers() {
        const auto now = Clock::now();
        while (!timers_.empty() && timers_.top().first <= now) {
            const std::uint64_t id = timers_.top().second;
            timers_.pop();
            auto it = conns_.find(id);
            if (it != conns_.end() && !trickle_one(it->second)) {
                drop(it);
            }
        }
    }

    // epoll_wait's timeout: until the earliest timer (rounded up so we do not wake a little early
    // and spin), or forever when no connection is trickling.
    int timeout_ms() const {
        if (timers_.empty()) {
            return -1;
        }
        const auto left = timers_.top().first - Clock::now();
        if (left <= Clock::duration::zero()) {
            return 0;
        }
        return static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(left).count());
    }

    // Closing the descriptor also removes it from the epoll set (it is the only reference).
    void drop(std::unordered_map<std::uint64_t, Connection>::iterator it) {
        conns_.erase(it);
        watch_listener(true); // a descriptor is free again, in case accept ran out of them
    }

    Misbehavior mode_;
    int listener_;
    int epoll_;
    bool listener_watched_ = true;
    std::uint64_t next_id_ = kFirstConnection;
    std::unordered_map<std::uint64_t, Connection> conns_;
    using Timer = std::pair<Clock::time_point, std::uint64_t>;
    std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_;
};

void add_to_epoll(int epoll, int fd, std::uint64_t token) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = token;
    if (epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &ev) < 0) {
        throw_errno("epoll_ctl");
    }
}

} // namespace

MisbehavingServer::MisbehavingServer(Misbehavior mode) : mode_(mode) {
    // Everything that can fail happens here, on the caller's thread, so a failure is an exception
    // the test sees instead of a server thread that silently never accepts.
    listener_.reset(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!listener_) {
        throw_errno("socket");
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0; // the kernel picks a free port: no fixed ports in tests
    if (bind(listener_.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) < 0) {
        throw_errno("bind", "127.0.0.1:0");
    }
    // SOMAXCONN: the tests open a few hundred connections in a burst; a small backlog would turn
    // that burst into SYN retransmits (a second or more each) instead of an instant accept.
    if (listen(listener_.get(), SOMAXCONN) < 0) {
        throw_errno("listen", "127.0.0.1:0");
    }
    socklen_t len = sizeof addr;
    if (getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&addr), &len) < 0) {
        throw_errno("getsockname");
    }
    port_ = ntohs(addr.sin_port);

    epoll_.reset(epoll_create1(EPOLL_CLOEXEC));
    if (!epoll_) {
        throw_errno("epoll_create1");
    }
    stop_event_.reset(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (!stop_event_) {
        throw_errno("eventfd");
    }
    add_to_epoll(epoll_.get(), listener_.get(), kListenerToken);
    add_to_epoll(epoll_.get(), stop_event_.get(), kStopToken);

    thread_ = std::thread([this] { run(); });
}

MisbehavingServer::~MisbehavingServer() {
    // One write to the eventfd makes it readable, which wakes epoll_wait wherever the thread is;
    // no flag needed, since the thread returns as soon as it sees the stop token. Connections are
    // owned by the thread's Loop and closed when it returns; the listener, epoll and eventfd
    // descriptors are members, closed after the join.
    const std::uint64_t one = 1;
    ssize_t n;
    do {
        n = write(stop_event_.get(), &one, sizeof one);
    } while (n < 0 && errno == EINTR);
    if (thread_.joinable()) {
        thread_.join();
    }
}

void MisbehavingServer::run() noexcept {
    try {
        Loop loop(mode_, listener_.get(), epoll_.get());
        loop.run();
    } catch (const std::exception& e) {
        // Only allocation can throw in here; a test fixture that dies must say why.
        std::fprintf(stderr, "misbehaving server: %s\n", e.what());
    }
}

} // namespace common::test
