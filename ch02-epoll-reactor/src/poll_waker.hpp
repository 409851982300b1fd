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
    // keeps the counter from ever reaching its maximum, at which point wake() would fail.
    void reset() const;

    Token token() const { return token_; }

private:
    common::Fd event_fd_;
    Token token_;
};

} // namespace ch02
