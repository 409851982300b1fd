// The trampoline's bookkeeping. Every coroutine of one top-level task (the coroutine an executor
// owns, plus every Task it awaits, directly or not) shares one TaskContext, which lives in the
// TaskFuture that drives them (task_future.hpp). It says which coroutine runs next, which leaf
// awaiter (a socket, a timer) the task is waiting for, and which Waker the current poll brought.
// Below task.hpp and future_awaiter.hpp; above chapter 4's Waker.
#pragma once

#include "ch04-executor/src/waker.hpp"

#include <coroutine>

namespace ch05 {

// A co_await that waits for a chapter-4 future (a leaf: an HTTP GET, a timer). FutureAwaiter
// (future_awaiter.hpp) is the only implementation; the base exists so that TaskContext can point at
// "the leaf we wait for" whatever its result type.
class LeafAwaiter {
public:
    // Polls the chapter-4 future once with `waker`. Returns true once it has finished; its value or
    // its exception is then stored in the awaiter, for await_resume to hand to the coroutine.
    // Returns false while it is not ready — and by then the future has stored `waker` with the
    // reactor, so the event it waits for will wake the task.
    virtual bool poll_leaf(const ch04::Waker& waker) noexcept = 0;

    // The coroutine suspended in this co_await: what to resume once poll_leaf says true.
    std::coroutine_handle<> waiting() const noexcept { return waiting_; }

protected:
    LeafAwaiter() = default;
    LeafAwaiter(const LeafAwaiter&) = default;
    LeafAwaiter& operator=(const LeafAwaiter&) = default;
    ~LeafAwaiter() = default; // never deleted through this base

    std::coroutine_handle<> waiting_;
};

// One per top-level task. Only the thread polling that task touches it (an executor polls a task
// on its own thread only), so nothing here is atomic or locked.
struct TaskContext {
    // The waker of the poll in progress, for leaf awaiters to hand to their futures. It points at
    // the executor's argument to poll(), so it is valid only during that poll; between polls it
    // is nullptr.
    const ch04::Waker* waker = nullptr;

    // The coroutine the trampoline resumes next. Starting an awaited Task puts the child here;
    // a finishing Task puts its parent (the continuation) here. The driver loops
    //     while (next) std::exchange(next, {}).resume();
    // so however long a chain of awaits that complete at once gets, every resume starts from the
    // same stack frame: the stack stays flat without relying on tail calls.
    std::coroutine_handle<> next;

    // The leaf awaiter the task is suspended in, or nullptr. A wake re-polls this leaf first, and
    // resumes its coroutine only when the leaf is ready: a spurious wake never resumes a coroutine
    // that has no result to take.
    LeafAwaiter* pending = nullptr;
};

} // namespace ch05
