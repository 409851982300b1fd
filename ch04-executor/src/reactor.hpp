// Reactor: the half of the runtime that waits. One background thread owns chapter 2's Poll, blocks
// in epoll_wait, and for every event looks up the Waker stored under the event's id and wakes it.
// It also keeps timers (the book's runtime has none): a min-heap of deadlines whose earliest one
// becomes the epoll_wait timeout. The reactor never polls a future; the executors never wait on a
// socket. Wakers are the only thing that passes between them (book ch. 8, b-reactor-executor).
//
// Threads: every public method may be called from any thread (executors on several threads share
// one reactor). The reactor thread is woken through chapter 2's PollWaker when it must re-read its
// state: a new earliest timer, or shutdown. New socket registrations need no wake — epoll_ctl on a
// descriptor that is already ready makes the blocked epoll_wait return (see ch02's Registry).
#pragma once

#include "waker.hpp"

#include "ch02-epoll-reactor/src/poll.hpp"
#include "ch02-epoll-reactor/src/poll_waker.hpp"

#include <atomic>
#include <chrono>
#include <compare>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace ch04 {

// Identifies one registration (a socket or a timer) with the reactor. Doubles as the epoll token.
using ReactorId = std::uint64_t;

class Reactor {
public:
    using Clock = std::chrono::steady_clock;

    // Test-only: code a test runs at precise points of the reactor's work, so that it can order its
    // steps against the reactor thread instead of sleeping and hoping. A production reactor has no
    // hooks, and each point costs it one untaken branch. Whatever a hook refers to must outlive the
    // reactor (its thread may be inside a hook until ~Reactor joins it).
    struct TestHooks {
        // The thread calling register_fd, between its two steps (the waker is stored, the
        // descriptor is not yet in epoll): a test can let the reactor thread run a whole turn here.
        std::function<void(ReactorId)> inside_register_fd = nullptr;
        // Reactor thread, woken through the PollWaker, just before it resets the PollWaker: a test
        // can change the reactor's state here, in the window where a wake would be swallowed.
        std::function<void()> before_wake_reset = nullptr;
        // Reactor thread, after each socket event has been dispatched: the event's id, and whether
        // a waker was found for it.
        std::function<void(ReactorId, bool woke)> after_dispatch = nullptr;
    };

    // Creates the Poll and the PollWaker and starts the reactor thread.
    Reactor();
    // The same, with test hooks (tests only).
    explicit Reactor(TestHooks hooks);
    // Stops and joins the reactor thread. Futures registered with it must be gone by then (they
    // hold a reference to it); wakers it still holds are simply dropped.
    ~Reactor();
    Reactor(const Reactor&) = delete;
    Reactor& operator=(const Reactor&) = delete;

    // A fresh id for a socket or a timer. Relaxed: only uniqueness matters, not ordering.
    ReactorId next_id() { return next_id_.fetch_add(1, std::memory_order_relaxed); }

    // Starts watching `fd` for readability (edge-triggered) and stores `waker` for it.
    //
    // The waker is stored *before* the descriptor is added to epoll. The book registers first and
    // calls set_waker afterwards; an event that arrives between the two finds no waker, is
    // dropped, and — being edge-triggered — never comes again, so the task waits forever
    // (upstream issue #23). One call that does both, in this order, makes that impossible.
    // Data that arrived before registration is covered too: epoll_ctl(ADD) reports a descriptor
    // that is already readable, and that event finds the waker. The futures read right after
    // registering anyway (see HttpGetFuture::poll): it saves a round trip through the reactor when
    // the answer is already there, and it does not depend on any event reaching the right waker.
    //
    // Throws when epoll_ctl refuses the descriptor; nothing stays registered then.
    void register_fd(int fd, ReactorId id, const Waker& waker);

    // Replaces the waker stored for `id` (socket or timer): a future polled again by a different
    // task's waker must be woken through the new one. Returns false when nothing is stored under
    // `id` any more — for a timer, that means it has fired (or was cancelled).
    bool set_waker(ReactorId id, const Waker& waker);

    // Stops watching `fd` and forgets its waker. Call before closing the descriptor. Throws when
    // epoll_ctl fails (say, the descriptor was closed already); the waker is forgotten anyway.
    void deregister(int fd, ReactorId id);

    // Wakes `waker` once `deadline` has passed (never earlier). Replaces an earlier timer of the
    // same id.
    void add_timer(ReactorId id, Clock::time_point deadline, const Waker& waker);
    // Forgets the timer; its waker will not be called. Safe if it already fired.
    void cancel_timer(ReactorId id);

    // Number of wakers stored right now (sockets and timers): tests check it returns to zero.
    std::size_t registrations() const;

    // Test hook: makes the reactor thread fail as if epoll_wait had failed, to test that every
    // waiting task is then woken and fails instead of waiting forever. Like every change another
    // thread makes for the reactor thread: store first, then wake it through the PollWaker.
    void fail_for_test(std::string why);

private:
    // A socket event of one wait, with the waker found for it (none: deregistered meanwhile).
    struct SocketEvent {
        ReactorId id;
        std::optional<Waker> waker;
    };

    // The reactor thread's loop, and its steps in the order one turn takes them.
    void run();
    std::optional<std::chrono::milliseconds> next_timeout(); // 1. how long the wait may last
    void take_socket_wakers(const ch02::Events& events,      // 2. which tasks the events concern
                            std::vector<SocketEvent>& out);
    void wake_sockets(const std::vector<SocketEvent>& ready); // 3. wake them
    void fire_expired_timers();                               // 4. wake every timer that is due

    void drop_stale_deadlines();           // call with mutex_ held
    Waker* stored_waker(ReactorId id);     // call with mutex_ held; nullptr when none
    void forget_socket(ReactorId id);      // erase a socket's waker
    void fail_all(const std::string& why); // the thread is dying: wake everyone, refuse new work
    void throw_if_failed() const;          // call with mutex_ held

    ch02::Poll poll_;
    ch02::PollWaker poll_waker_;
    std::atomic<ReactorId> next_id_{1}; // 0 is the PollWaker's token
    // Set once by the constructor, before the thread starts, and never changed: read without a
    // lock. Null in production.
    const std::unique_ptr<const TestHooks> hooks_;

    // An armed timer: when it is due, and whom to wake then.
    struct Timer {
        Clock::time_point deadline;
        Waker waker;
    };
    // One entry of the deadline heap. Compared by deadline first (then id, which only breaks ties).
    struct Deadline {
        Clock::time_point when;
        ReactorId id;
        auto operator<=>(const Deadline&) const = default;
    };

    mutable std::mutex mutex_; // guards everything below; never held while waking a waker
    // Sockets and timers are kept apart: the same id never appears in both.
    std::unordered_map<ReactorId, Waker> sockets_; // registered sockets: the waker of each
    std::unordered_map<ReactorId, Timer> timers_;  // armed timers
    // Min-heap of timer deadlines (std::greater: the earliest on top). A cancelled or re-armed
    // timer leaves its old entry in the heap — lazy deletion, cheaper than searching the heap. An
    // entry is stale when timers_ no longer holds that deadline for its id; stale entries are
    // dropped when they reach the top (drop_stale_deadlines) or come due (fire_expired_timers).
    std::priority_queue<Deadline, std::vector<Deadline>, std::greater<>> deadlines_;
    // Set when the reactor thread has died of an error. From then on every call that would need
    // the thread (register_fd, set_waker, add_timer) throws this message instead of registering a
    // waker that nothing would ever wake.
    std::string failure_;
    std::string injected_failure_; // see fail_for_test

    std::atomic<bool> stopping_{false};
    std::thread thread_; // last: starts after everything above is constructed
};

} // namespace ch04
