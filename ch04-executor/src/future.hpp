// ch04's Future: the chapter-3 idea with one change — poll() now receives a Waker. A future that
// is not ready stores (a copy of) that waker where the event it waits for will find it, and the
// executor does not poll it again until someone calls wake(). That single parameter is what turns
// chapter 3's "poll everything on every wake" into "poll only what is ready" (book ch. 8).
#pragma once

#include "waker.hpp"

#include <optional>
#include <utility>

namespace ch04 {

// The answer to "are you done?": ready with a value, or not ready yet. Same meaning as chapter 3's.
template <class T>
class PollState {
public:
    static PollState ready(T value) { return PollState(std::move(value)); }
    static PollState not_ready() { return PollState(); }

    bool is_ready() const { return value_.has_value(); }
    T take() { return std::move(*value_); } // only when is_ready()

private:
    PollState() = default;
    explicit PollState(T value) : value_(std::move(value)) {}
    std::optional<T> value_;
};

template <>
class PollState<void> {
public:
    static PollState ready() { return PollState(true); }
    static PollState not_ready() { return PollState(false); }
    bool is_ready() const { return ready_; }

private:
    explicit PollState(bool ready) : ready_(ready) {}
    bool ready_;
};

// A value that will be ready later. Contract for implementers:
//  - poll() makes as much progress as it can without blocking and returns;
//  - when it returns not_ready(), it has arranged for `waker` (the one passed to *this* call; a
//    future may be polled by different wakers over its life) to be woken when progress is
//    possible — otherwise nothing will ever poll it again;
//  - it may throw: the executor reports the exception and drops the task.
//
// Futures are neither copyable nor movable. Once polled, a future has handed out things that name
// it (its socket's reactor id, its timer) and may point into itself (a composed future that keeps a
// reference to one of its own members); moving it would leave two objects claiming one
// registration, or pointers aimed at the old place. Rust prevents that with Pin (book ch. 9); here
// the type simply cannot move, and futures are created where they stay — on the heap behind a
// std::unique_ptr, or as members of a future that is itself there — so they keep their address.
// See pinning.hpp for the bug this prevents.
template <class T>
class Future {
public:
    using Output = T;

    Future() = default;
    Future(const Future&) = delete;
    Future& operator=(const Future&) = delete;
    Future(Future&&) = delete;
    Future& operator=(Future&&) = delete;
    virtual ~Future() = default;

    virtual PollState<T> poll(const Waker& waker) = 0;
};

} // namespace ch04
