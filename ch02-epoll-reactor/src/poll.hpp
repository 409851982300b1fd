// ch02's event queue: Poll, Registry, Events, Token and Interest over Linux epoll — the part the
// book builds by hand in chapter 4 (a-epoll) and then lets `mio` play from chapter 6 on. Here the
// later chapters link *this* library unchanged instead of mio.
//
// The types of <sys/epoll.h> are used as they are. The book's Rust version writes its own
// `epoll_event` struct, and getting its packing wrong on one architecture is a known bug of the
// original (upstream issue #5); including the real header makes that mistake impossible.
#pragma once

#include <common/fd.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <sys/epoll.h>
#include <vector>

namespace ch02 {

// What the caller stores with a registration and gets back with each event, so it knows which of
// its sockets became ready. epoll keeps it in epoll_event::data.u64 for us.
struct Token {
    std::uint64_t value = 0;
    friend bool operator==(Token, Token) = default;
};

// What to be told about. A small bit set over the EPOLL* flags.
class Interest {
public:
    // EPOLLRDHUP comes with readable: a peer that shuts its side down is reported as an event,
    // so a reader waiting for end-of-stream is woken for it.
    static constexpr Interest readable() { return Interest(EPOLLIN | EPOLLRDHUP); }
    static constexpr Interest writable() { return Interest(EPOLLOUT); }
    // Edge-triggered: report a change of readiness once, not "is ready" on every wait. See the
    // comment on Registry::register_fd for what that obliges the reader to do.
    static constexpr Interest edge_triggered() { return Interest(EPOLLET); }

    constexpr Interest operator|(Interest other) const { return Interest(bits_ | other.bits_); }
    constexpr std::uint32_t epoll_bits() const { return bits_; }

private:
    constexpr explicit Interest(std::uint32_t bits) : bits_(bits) {}
    std::uint32_t bits_;
};

// One readiness event, a thin view of an epoll_event.
class Event {
public:
    explicit Event(const epoll_event& raw) : raw_(raw) {}

    Token token() const { return Token{raw_.data.u64}; }
    bool is_readable() const { return (raw_.events & EPOLLIN) != 0; }
    bool is_writable() const { return (raw_.events & EPOLLOUT) != 0; }
    // The peer has shut down its writing side (or the connection is gone). Data sent before the
    // close may still be unread: a reader drains the socket before it acts on this.
    bool is_read_closed() const { return (raw_.events & (EPOLLRDHUP | EPOLLHUP)) != 0; }
    bool is_error() const { return (raw_.events & EPOLLERR) != 0; }
    std::uint32_t epoll_bits() const { return raw_.events; }

private:
    epoll_event raw_;
};

// The buffer epoll_wait fills. Its capacity bounds how many events one wait returns; more ready
// sockets are simply reported by the next wait.
class Events {
public:
    explicit Events(std::size_t capacity) : buffer_(capacity == 0 ? 1 : capacity) {}

    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    std::size_t capacity() const { return buffer_.size(); }
    Event operator[](std::size_t i) const { return Event(buffer_[i]); }
    void clear() { size_ = 0; }

    class Iterator {
    public:
        Iterator(const epoll_event* at) : at_(at) {}
        Event operator*() const { return Event(*at_); }
        Iterator& operator++() {
            ++at_;
            return *this;
        }
        bool operator!=(const Iterator& other) const { return at_ != other.at_; }

    private:
        const epoll_event* at_;
    };
    Iterator begin() const { return Iterator(buffer_.data()); }
    Iterator end() const { return Iterator(buffer_.data() + size_); }

private:
    friend class Poll;
    std::vector<epoll_event> buffer_;
    std::size_t size_ = 0;
};

// Adds, changes and removes interest in descriptors. A Registry is a cheap handle on its Poll's
// epoll instance, valid as long as that Poll lives.
//
// Thread safety: every method is a single epoll_ctl call, and the kernel serialises epoll_ctl
// against a concurrent epoll_wait on the same instance. So one thread may register sockets while
// another is blocked in Poll::poll — chapter 4's executors do exactly that with the reactor
// thread's Poll. A registration made during a wait is seen by that wait: if the socket is already
// ready, the blocked epoll_wait returns with it.
class Registry {
public:
    // mio's and the book's `register`; that word is a reserved keyword in C++, hence `register_fd`.
    //
    // Starts watching `fd`. With Interest::edge_triggered(), an event is reported when readiness
    // *changes* (new data arrived), not while it lasts. The reader must therefore read until
    // read() says EAGAIN before waiting again: data left in the socket raises no new event, and a
    // reader that stops early waits forever. Level-triggered (the default) reports a ready socket
    // on every wait, which is simpler but wakes the loop again and again for the same data.
    void register_fd(int fd, Token token, Interest interest) const;
    // Changes the token or interest of a registered descriptor (EPOLL_CTL_MOD). With edge
    // triggering this also re-arms: if the socket is ready now, an event is reported.
    void reregister(int fd, Token token, Interest interest) const;
    // Stops watching `fd`. Closing a descriptor also removes it, but only once every copy of it
    // (dup, fork) is closed; saying so explicitly is clearer.
    void deregister(int fd) const;

private:
    friend class Poll;
    explicit Registry(int epoll_fd) : epoll_fd_(epoll_fd) {}
    int epoll_fd_;
};

// Owns the epoll instance; the descriptor is closed exactly once, when the Poll that holds it is
// destroyed.
//
// A Poll can be moved into a new Poll (into a member, out of a function), but not assigned to.
// A Registry keeps the epoll descriptor's *number*, not a reference to the Poll, and a PollWaker's
// eventfd is registered in that epoll instance. Move construction keeps the descriptor open, so
// both stay valid as long as the new Poll lives. Assignment would have to close the descriptor
// the target held first: every Registry taken from the target would go on using a closed number
// (which the kernel hands to the next descriptor anyone opens, possibly another epoll instance),
// and the target's PollWaker would wake an instance nobody waits on. Nothing needs to replace a
// Poll, so assignment is deleted: the mistake does not compile.
class Poll {
public:
    Poll(); // epoll_create1(EPOLL_CLOEXEC); throws std::system_error on failure

    // The moved-from Poll holds no descriptor: a Registry taken from it afterwards fails with
    // EBADF on every call.
    Poll(Poll&&) noexcept = default;
    Poll& operator=(Poll&&) = delete;
    Poll(const Poll&) = delete;
    Poll& operator=(const Poll&) = delete;

    Registry registry() const { return Registry(epoll_fd_.get()); }

    // Waits until at least one registered descriptor is ready or `timeout` has passed (nullopt:
    // wait forever), and fills `events` with at most events.capacity() events. Returns with
    // events.empty() on timeout. (A timeout longer than a year is taken as a year.)
    //
    // EINTR (a signal arrived while waiting) is retried with the time that is left, so an
    // interrupted wait is never mistaken for events or for a timeout.
    //
    // A wake with no events for *our* sockets can still happen: a timeout, a cross-thread wake
    // (PollWaker), or an event for a socket whose data another handler already read. That is a
    // spurious wakeup, and callers must treat every event as "maybe ready": try the read, and
    // accept EAGAIN as "not yet".
    void poll(Events& events, std::optional<std::chrono::milliseconds> timeout);

private:
    common::Fd epoll_fd_;
};

} // namespace ch02
