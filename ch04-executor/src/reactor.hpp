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
#include <cstdint>
#include <functional>
#include <mutex>
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

    // Creates the Poll and the PollWaker and starts the reactor thread.
    Reactor();
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
    void register_fd(int fd, ReactorId id, const Waker& waker);

    // Replaces the waker stored for `id` (socket or timer): a future polled again by a different
    // task's waker must be woken through the new one. Returns false when nothing is stored under
    // `id` any more — for a timer, that means it has fired (or was cancelled).
    bool set_waker(ReactorId id, const Waker& waker);

    // Stops watching `fd` and forgets its waker. Call before closing the descriptor.
    void deregister(int fd, ReactorId id);

    // Wakes `waker` once `deadline` has passed (never earlier). Replaces an earlier timer of the
    // same id.
    void add_timer(ReactorId id, Clock::time_point deadline, const Waker& waker);
    // Forgets the timer; its waker will not be called. Safe if it already fired.
    void cancel_timer(ReactorId id);

    // Test hook: called on the reactor thread after each socket event has been dispatched (with the
    // id, and whether a waker was found). Lets a test order its steps against the reactor thread
    // deterministically instead of sleeping. Set it before registering anything; whatever it
    // refers to must outlive the reactor (its thread may be inside the call until ~Reactor joins).
    void set_dispatch_observer(std::function<void(ReactorId, bool woke)> observer);

    // Number of wakers stored right now (sockets and timers): tests check it returns to zero.
    std::size_t registrations() const;

    // Test hook: makes the reactor thread fail as if epoll_wait had failed, to test that every
    // waiting task is then woken and fails instead of waiting forever.
    void fail_for_test(std::string why);

private:
    void run();                            // the reactor thread's loop
    void fire_expired_timers();            // wakes every timer whose deadline has passed
    void fail_all(const std::string& why); // the thread is dying: wake everyone, refuse new work
    void throw_if_failed() const;          // call with mutex_ held

    struct TimerEntry {
        Clock::time_point deadline;
        ReactorId id;
        bool operator>(const TimerEntry& other) const { return deadline > other.deadline; }
    };

    ch02::Poll poll_;
    ch02::PollWaker poll_waker_;
    std::atomic<ReactorId> next_id_{1}; // 0 is the PollWaker's token

    // What is stored per id: the latest waker, and for a timer its deadline (sockets: max()).
    struct Slot {
        Waker waker;
        Clock::time_point deadline;
    };

    mutable std::mutex mutex_; // guards everything below; never held while waking a waker
    std::unordered_map<ReactorId, Slot> slots_;
    // Min-heap of timer deadlines. A cancelled or re-armed timer leaves its old entry in the heap;
    // when that entry comes up it is skipped, because the slot is gone or holds a later deadline
    // (lazy deletion: cheaper than searching the heap).
    std::priority_queue<TimerEntry, std::vector<TimerEntry>, std::greater<>> timers_;
    std::function<void(ReactorId, bool)> observer_;
    // Set when the reactor thread has died of an error. From then on every call that would need
    // the thread (register_fd, set_waker, add_timer) throws this message instead of registering a
    // waker that nothing would ever wake.
    std::string failure_;
    std::string injected_failure_; // see fail_for_test

    std::atomic<bool> stopping_{false};
    std::thread thread_; // last: starts after everything above is constructed
};

} // namespace ch04
