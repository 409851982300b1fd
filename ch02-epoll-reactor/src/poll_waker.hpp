// PollWaker: lets another thread wake a thread that is blocked in Poll::poll — what mio calls its
// `Waker`. Named differently here because chapter 4's `Waker` is a different thing (it wakes a
// *task*); this one wakes the *thread* waiting on the event queue. Chapter 4's reactor thread needs
// it whenever it must look at something that is not a socket: a new timer, or shutdown.
//
// How: an eventfd (a kernel counter that is readable while non-zero) registered with the Poll
// under a token the owner reserves. wake() adds 1 to the counter, which makes the eventfd readable
// and so ends the epoll_wait with an event carrying that token.
#pragma once

#include "poll.hpp"

#include <common/fd.hpp>

namespace ch02 {

class PollWaker {
public:
    // Creates the eventfd and registers it with `registry` under `token`, edge-triggered.
    PollWaker(const Registry& registry, Token token);

    // Safe from any thread, any number of times; never blocks. Wakes that happen before the poller
    // waits are not lost: the counter stays non-zero (and the edge was raised), so the next wait
    // returns at once.
    void wake() const;

    // The poller calls this when it sees the token: reads the counter back to zero. Under edge
    // triggering every wake() raises a new edge anyway, so this is not needed for correctness; it
    // keeps the counter far from its maximum (2^64 - 2), where a write would no longer go in.
    //
    // The order that makes this race-free: when the poller sees the token, it calls reset()
    // *first* and only then looks at its shared state (new registrations, timers, a shutdown
    // flag). A wake() that lands between epoll_wait returning and reset() is consumed by the
    // reset — epoll re-checks the counter before it reports an edge, so the next poll does not
    // return for it — but its change to the shared state was made before it woke, so the look
    // after the reset sees it. A wake() after the reset leaves the counter non-zero, so the next
    // poll returns at once. Looking at the state first and resetting after could lose a wake.
    void reset() const;

    Token token() const { return token_; }

private:
    common::Fd event_fd_;
    Token token_;
};

} // namespace ch02
