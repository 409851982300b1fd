// join_refs: a join written over references — it polls futures that live somewhere else (in the
// awaiting coroutine's frame) instead of owning them. The JoinAll of the book's
// ch10/a-rust-futures-bonus (future.rs) owns its children and boxes each one (Pin<Box<F>>),
// because a Rust future must be pinned before it is polled. A C++ coroutine frame never moves, so
// futures declared as locals of a coroutine are pinned where they stand, and a join may simply
// point at them. Used by rust_futures_bonus.cpp; on top of ch04's Future and ch05's FutureAwaiter.
//
//     ch05::TaskFuture<void> first(write_answer(writer, path1));   // locals of the awaiting frame
//     ch05::TaskFuture<void> second(write_answer(writer, path2));
//     co_await join_refs(first, second);                          // both run, concurrently
//
// Like the book's JoinAll (and ch03's join_all), every poll polls every unfinished child with the
// same waker: whichever child's event comes, the task is woken and all unfinished children are
// asked again. Fine for a handful; ch05's join_all (spawned children) is the form that scales.
#pragma once

#include "ch05-coroutines/src/future_awaiter.hpp"

#include "ch04-executor/src/future.hpp"
#include "ch04-executor/src/waker.hpp"

#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

namespace ch05::examples {

class JoinRefs final : public ch04::Future<void> {
public:
    // The children must outlive this future. They do when they are locals of the coroutine that
    // awaits it, declared before the co_await: the awaiter (which owns this JoinRefs) is destroyed
    // at the end of the co_await's full-expression, before any local of the frame.
    explicit JoinRefs(std::vector<ch04::Future<void>*> children) {
        for (ch04::Future<void>* child : children) {
            children_.push_back(Child{.future = child, .finished = false});
        }
    }

    // Ready once every child has been ready once. A child that throws ends the join with its
    // exception; the others are not polled again (they are dropped with the frame that holds them).
    ch04::PollState<void> poll(const ch04::Waker& waker) override {
        std::size_t finished = 0;
        for (Child& child : children_) {
            if (!child.finished) {
                // A ch04 future must not be polled again once ready (a TaskFuture throws), so
                // each child's own flag remembers it: the book's `(bool, Pin<Box<F>>)` pairs.
                child.finished = child.future->poll(waker).is_ready();
            }
            finished += child.finished ? 1 : 0;
        }
        if (finished == children_.size()) {
            return ch04::PollState<void>::ready();
        }
        return ch04::PollState<void>::not_ready();
    }

private:
    struct Child {
        ch04::Future<void>* future; // borrowed: owned by the awaiting coroutine's frame
        bool finished;
    };
    std::vector<Child> children_;
};

// co_await join_refs(a, b, ...): waits until every one of the (borrowed) futures has finished.
template <class... F>
FutureAwaiter<void> join_refs(F&... futures) {
    return FutureAwaiter<void>(
        std::make_unique<JoinRefs>(std::vector<ch04::Future<void>*>{&futures...}));
}

} // namespace ch05::examples
