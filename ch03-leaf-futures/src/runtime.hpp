// The Runtime of this chapter (the `Runtime` of the book's ch08/a-runtime): it owns the ch02::Poll
// the leaf futures register with, and block_on drives one top-level future to completion,
// sleeping in epoll_wait instead of spinning while the future is not ready.
//
// It is the smallest runtime that does not burn a CPU: one thread, one future, and no idea which
// part of the future an event was for — it simply polls the whole tree again. ch04 splits it
// into a Reactor (the Poll, on its own thread) and an Executor (the tasks), joined by wakers.
#pragma once

#include "future.hpp"

#include "ch02-epoll-reactor/src/poll.hpp"

#include <common/trace.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace ch03 {

class Runtime {
public:
    using Clock = std::chrono::steady_clock;

    // `events_capacity`: how many events one epoll_wait may return. block_on does not look at
    // them (any event means "poll again"), so a small buffer would do; more just means fewer
    // wakes when thousands of sockets become ready together.
    explicit Runtime(std::size_t events_capacity = 1024);

    // Where leaf futures register their sockets (the book's `runtime::registry()`).
    ch02::Registry registry() const { return poll_.registry(); }

    // Print `Schedule other tasks` each time block_on is about to sleep, as the book's
    // ch08/a-runtime does, so the demo shows how rarely that now happens. Off by default.
    void announce_waits(bool on) { announce_waits_ = on; }

    // Polls `future`; while it is not ready, sleeps in Poll::poll until a registered socket is
    // ready (or the deadline comes), then polls it again. Returns the future's value.
    //
    // Throws std::runtime_error("block_on: timed out") when the deadline passes first — the run's
    // deadline, so a server that never answers cannot hang the program — and passes on whatever
    // the future throws.
    //
    // The future must register something with registry() before it returns NotReady (a leaf future
    // does, on its first poll). Otherwise nothing will ever wake the wait, and only the deadline
    // ends it.
    template <typename T>
    T block_on(Future<T>& future, Clock::time_point deadline) {
        for (;;) {
            ++polls_;
            common::trace::begin_poll(this, 0); // --trace: each poll as a span (common/trace.hpp)
            PollState<T> state = future.poll();
            common::trace::end_poll("block_on future", 0, state.is_ready());
            if (state.is_ready()) {
                if constexpr (std::is_void_v<T>) {
                    return;
                } else {
                    return std::move(state).value();
                }
            }
            wait(deadline);
        }
    }

    // Counters for the demo, the tests and load mode's summary line, over this Runtime's life:
    // polls of top-level futures by block_on, and returns from epoll_wait (with events or not).
    std::uint64_t polls() const { return polls_; }
    std::uint64_t wakes() const { return wakes_; }

private:
    // One sleep: throws if the deadline has passed, otherwise waits in epoll_wait for at most the
    // time left. What the events say is ignored; that they came is all block_on needs.
    void wait(Clock::time_point deadline);

    ch02::Poll poll_;
    ch02::Events events_;
    bool announce_waits_ = false;
    std::uint64_t polls_ = 0;
    std::uint64_t wakes_ = 0;
};

} // namespace ch03
