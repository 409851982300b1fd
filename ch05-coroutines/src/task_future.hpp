// TaskFuture<T>: a coroutine Task seen as a chapter-4 future, so chapter 4's Executor can run it
// unchanged — the way the book's chapter 10 runs `async fn`s on its own runtime. Coroutines are
// resumed in one place only, drive() below: the trampoline. Above task.hpp and task_context.hpp;
// used by block_on, spawn (spawn.hpp) and with_timeout (awaitables.hpp).
#pragma once

#include "task.hpp"
#include "task_context.hpp"

#include "ch04-executor/src/future.hpp"
#include "ch04-executor/src/waker.hpp"

#include <coroutine>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace ch05 {
namespace detail {

// One poll of a top-level task — what chapter 3's hand-written poll() did, with the code between
// the waits now written by the compiler:
//
//   1. If the task is suspended in a leaf (a socket, a timer), poll that leaf's chapter-4 future
//      with the new waker. Not ready: an early or spurious wake; return without resuming anything
//      (the leaf has stored the new waker). Ready: its coroutine runs next.
//   2. The trampoline: resume `next` until there is no next. Each coroutine runs until it
//      suspends: at a child Task (the child is next), at its end (its parent is next), or at a
//      leaf that is not ready (nothing is next; the leaf is pending). Every resume() returns here,
//      so the stack is as deep on the millionth resume as on the first.
//   3. Returns true when the top coroutine has finished (returned or thrown). Otherwise a leaf is
//      pending and has registered the waker, and the task is not ready.
//
// Throws std::logic_error if a coroutine suspended in something that arranged no wake-up.
bool drive(std::coroutine_handle<> top, TaskContext& context, const ch04::Waker& waker);

// Points the top coroutine at its TaskContext and makes it the first to run. Throws
// std::logic_error for an empty Task or one already awaited or spawned.
template <class T>
void start(const Task<T>& task, TaskContext& context) {
    const auto handle = TaskAccess::handle(task);
    if (!handle) {
        throw std::logic_error("ch05: cannot run an empty Task (was it moved from?)");
    }
    auto& promise = handle.promise();
    if (promise.context != nullptr) {
        throw std::logic_error("ch05: a Task can be awaited (or spawned) only once");
    }
    promise.context = &context;
    context.next = handle;
}

} // namespace detail

// Like every chapter-4 future it is neither copyable nor movable (it lives behind a unique_ptr):
// the coroutines' promises point at its TaskContext.
template <class T>
class TaskFuture final : public ch04::Future<T> {
public:
    explicit TaskFuture(Task<T> task) : task_(std::move(task)) { detail::start(task_, context_); }

    ch04::PollState<T> poll(const ch04::Waker& waker) override {
        const auto handle = detail::TaskAccess::handle(task_);
        if (!detail::drive(handle, context_, waker)) {
            return ch04::PollState<T>::not_ready();
        }
        if constexpr (std::is_void_v<T>) {
            handle.promise().take_result(); // rethrows the body's exception, if any
            return ch04::PollState<void>::ready();
        } else {
            return ch04::PollState<T>::ready(handle.promise().take_result());
        }
    }

private:
    Task<T> task_;        // owns the top coroutine's frame (and through it, the whole chain)
    TaskContext context_; // the trampoline state every coroutine of this task points at
};

} // namespace ch05
