// Exercise ch02/02: a Poll that reports how long it slept. An event loop spends its time in two
// places: waiting in epoll_wait, and working between waits. Knowing the split is the first
// measurement anyone takes of a runtime ("is it idle or is it busy?"). TimedPoll wraps the
// chapter's ch02::Poll unchanged and measures the waits. This header is the interface the tests
// call; write the bodies in timed_poll.cpp.
#pragma once

#include "ch02-epoll-reactor/src/poll.hpp"

#include <chrono>
#include <cstdint>
#include <optional>

namespace ch02::exercise {

class TimedPoll {
public:
    using Clock = std::chrono::steady_clock;

    Registry registry() const { return poll_.registry(); }

    // Calls Poll::poll(events, timeout) and returns how long that call took, measured on a
    // monotonic clock (steady_clock: a wall clock can jump). Also adds it to total_slept(), counts
    // the wait, and counts it as a timeout when it came back without events.
    Clock::duration poll(Events& events, std::optional<std::chrono::milliseconds> timeout);

    Clock::duration total_slept() const { return total_slept_; }
    std::uint64_t waits() const { return waits_; }
    std::uint64_t timeouts() const { return timeouts_; } // waits that returned no events

private:
    Poll poll_;
    Clock::duration total_slept_{0};
    std::uint64_t waits_ = 0;
    std::uint64_t timeouts_ = 0;
};

} // namespace ch02::exercise
