// FutureAwaiter<T>: makes any chapter-4 future awaitable — `co_await` on a socket read, a timer, a
// Timeout. This is where coroutines meet the reactor: the leaf futures of chapter 4 do the I/O and
// keep the waker; the awaiter only polls them at the right moments. Above task_context.hpp and
// ch04's Future; http_get, sleep_for and with_timeout (awaitables.hpp) return one of these.
#pragma once

#include "task.hpp"
#include "task_context.hpp"

#include "ch04-executor/src/future.hpp"

#include <coroutine>
#include <exception>
#include <memory>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <variant>

namespace ch05 {

// The leaf protocol, step by step:
//   co_await:  await_suspend polls the future once, with the waker of the poll in progress. A
//              future that is not ready stores that waker (with the reactor) *before* returning,
//              so an event that comes at any later moment wakes the task — even one that comes
//              before the coroutine has finished suspending: the wake only queues the task, and
//              the executor polls it after this poll returns. No event can be lost in between.
//              Ready at once: await_suspend returns false and the coroutine simply continues
//              (no suspension, no stack growth). Not ready: the awaiter becomes the task's
//              pending leaf and the coroutine suspends.
//   a wake:    TaskFuture::poll polls the future again with the new waker (poll_leaf). Only
//              when it is ready is the coroutine resumed, so a spurious wake costs one poll and
//              never resumes a coroutine that has nothing to take.
//   resume:    await_resume hands over the value, or rethrows the future's exception inside the
//              coroutine, where a try/catch around the co_await sees it.
//
// The future lives on the heap (chapter 4's rule: a polled future must not move). The awaiter
// itself may be moved until it is awaited — with_timeout takes one apart — and during the co_await
// it sits in the coroutine frame, which never moves, so the TaskContext may point at it.
template <class T>
class [[nodiscard]] FutureAwaiter final : public LeafAwaiter {
public:
    explicit FutureAwaiter(std::unique_ptr<ch04::Future<T>> future) : future_(std::move(future)) {}

    FutureAwaiter(FutureAwaiter&&) noexcept = default;
    FutureAwaiter& operator=(FutureAwaiter&&) noexcept = default;
    FutureAwaiter(const FutureAwaiter&) = delete;
    FutureAwaiter& operator=(const FutureAwaiter&) = delete;
    ~FutureAwaiter() = default; // drops an unfinished future: cancels its socket or timer

    bool await_ready() const {
        if (!future_) {
            throw std::logic_error(
                "ch05: co_await on an empty awaiter (moved from, or awaited already?)");
        }
        return false; // ask the future in await_suspend, where we can reach the task's waker
    }

    // Returns false (do not suspend) when the future is ready at its first poll.
    template <class P>
    bool await_suspend(std::coroutine_handle<P> coroutine) {
        const detail::PromiseBase& promise = coroutine.promise();
        TaskContext& context = *promise.context;
        if (poll_leaf(*context.waker)) {
            return false;
        }
        waiting_ = coroutine;
        context.pending = this;
        return true;
    }

    T await_resume() {
        if (auto* error = std::get_if<std::exception_ptr>(&outcome_)) {
            std::rethrow_exception(*error);
        }
        if constexpr (!std::is_void_v<T>) {
            return std::move(std::get<T>(outcome_));
        }
    }

    // Catches what the future throws (a refused connection, a malformed response, a timeout) and
    // keeps it for await_resume: an exception leaving await_suspend would be rethrown in the
    // coroutine too, but keeping one path for both cases is simpler to follow.
    bool poll_leaf(const ch04::Waker& waker) noexcept override {
        try {
            ch04::PollState<T> state = future_->poll(waker);
            if (!state.is_ready()) {
                return false;
            }
            if constexpr (std::is_void_v<T>) {
                outcome_.template emplace<Done>();
            } else {
                outcome_.template emplace<T>(state.take());
            }
        } catch (...) {
            outcome_.template emplace<std::exception_ptr>(std::current_exception());
        }
        future_.reset(); // finished: give back its socket, timer and memory now, not at the ';'
        return true;
    }

    // For wrappers such as with_timeout: the future, before it has been awaited.
    std::unique_ptr<ch04::Future<T>> release_future() && { return std::move(future_); }

private:
    struct Done {}; // the value of a finished Future<void>
    using Value = std::conditional_t<std::is_void_v<T>, Done, T>;

    std::unique_ptr<ch04::Future<T>> future_; // the chapter-4 leaf; empty once it has finished
    // Nothing yet, or what the finished future gave: its value or its exception. One variant
    // rather than an optional and an exception_ptr side by side, because every awaiter sits in a
    // coroutine frame, and ten thousand frames make every 8 bytes count.
    std::variant<std::monostate, Value, std::exception_ptr> outcome_;
};

// co_await on any chapter-4 future: `co_await from_future(std::make_unique<MyFuture>(...))`.
template <class F>
FutureAwaiter<typename F::Output> from_future(std::unique_ptr<F> future) {
    return FutureAwaiter<typename F::Output>(std::move(future));
}

} // namespace ch05
