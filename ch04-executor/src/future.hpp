// ch04's Future: ch03's idea with one change — poll() now receives a Waker. A future that is not
// ready stores (a copy of) that waker where the event it waits for will find it, and the executor
// does not poll it again until someone calls wake(). That single parameter is what turns ch03's
// "poll everything on every wake" into "poll only what is ready" (book ch. 8).
#pragma once

#include "waker.hpp"

#include <optional>
#include <utility>

namespace ch04 {

// The answer to "are you done?": ready with a value, or not ready yet. Same meaning as ch03's.
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
// Futures are neither copyable nor movable, and the reason is the one book ch. 9 gives: a future
// may point into itself. A hand-written state machine keeps its "locals" as members, and a local
// that refers to another (a pointer to a buffer it is filling, as in ch09/b-coroutines-references)
// is a pointer into the object. Moving the object copies that pointer, which still aims at the old
// place — exactly what ch09/c-coroutines-problem does when block_on polls a future on its stack
// and then moves it into a Box. src/pinning/ shows the bug in C++ (ch04-pinning --part 2).
//
// The registrations are not the reason: the reactor knows a future's socket and timer by ids, and
// the executor knows a task by an id, so nothing outside holds a future's address. Nor is a move
// impossible in C++ as it is in Rust: a class may write a move constructor that re-aims its own
// pointers. But every composed future would have to get that right by hand, a miss compiles
// silently, and a coroutine frame (ch05) points into itself in ways only the compiler knows. So
// the base deletes copy and move (a derived future cannot move either), and a future is created
// where it stays: on the heap behind a std::unique_ptr — the executor holds and moves that pointer,
// never the future, as Rust moves a Pin<Box<dyn Future>> — or as a member of a future that is
// itself there.
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
