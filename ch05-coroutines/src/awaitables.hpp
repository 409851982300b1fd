// The leaf awaitables of this chapter: an HTTP GET, a sleep, and a deadline around either — each a
// chapter-4 leaf future wrapped in a FutureAwaiter: chapter 4's HttpGetFuture, and its Sleep and
// Timeout in lazy_timers.hpp's form (the clock starts at the co_await), so the reactor work is
// chapter 4's. Above future_awaiter.hpp, lazy_timers.hpp, task_future.hpp and runtime.hpp.
//
//     std::string body = co_await http_get("/600/HelloAsyncAwait");
//     co_await sleep_for(std::chrono::milliseconds(100));
//     std::string late = co_await with_timeout(http_get("/5000/slow"), 1000ms, "slow request");
//
// Each of these is an ordinary function, not a coroutine: it builds the chapter-4 future at once
// (taking its arguments by value into it), and nothing starts until the co_await polls it — no
// connection, and no clock: a sleep or a deadline counts from the co_await (lazy_timers.hpp).
// Building the future needs the runtime's reactor, so each looks up the current Runtime at the
// call: without one, the call itself throws std::logic_error — not the co_await. Called inside
// a co_await expression, the call is still part of the awaiting coroutine's body, so a try/catch
// around the co_await sees it; an awaiter built outside any coroutine throws where it is built.
// Keep per-task state small: what the future needs across a suspension (here: the bytes received so
// far) lives in the future, and the frame holds only the awaiter — no 4 KiB read buffer per task.
#pragma once

#include "future_awaiter.hpp"
#include "lazy_timers.hpp"
#include "runtime.hpp"
#include "task.hpp"
#include "task_future.hpp"

#include <common/net.hpp>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

namespace ch05 {

// GET `path` from the current runtime's server; the awaited value is the body of a 200 answer.
// Errors (refused connection, reset, malformed or truncated response, a status other than 200)
// are rethrown in the awaiting coroutine. No deadline of its own: wrap it in with_timeout.
// Throws std::logic_error at the call when there is no Runtime.
FutureAwaiter<std::string> http_get(std::string path);

// The same against another server (tests talk to misbehaving ones).
FutureAwaiter<std::string> http_get(common::Endpoint server, std::string path);

// Completes once `duration` has passed since the co_await (never earlier). A zero or negative
// duration completes at once, without suspending.
FutureAwaiter<void> sleep_for(std::chrono::milliseconds duration);

// A deadline: completes like `inner`, or throws ch04::TimedOut("<what>: timed out") once `limit`
// has passed since the co_await — the same reactor timer sleep_for waits on, raced against the
// operation (LazyTimeout polls both with the task's waker, so whichever comes first wakes the
// task). When the time is up the inner operation is dropped, which closes its socket: a
// cancellation.
// Throws std::logic_error for an awaiter that holds no future (moved from, or awaited already: a
// finished awaiter has given its future back), rather than building a Timeout around nothing.
template <class T>
FutureAwaiter<T> with_timeout(FutureAwaiter<T> inner, std::chrono::milliseconds limit,
                              std::string what = "operation") {
    std::unique_ptr<ch04::Future<T>> future = std::move(inner).release_future();
    if (!future) {
        throw std::logic_error(
            "ch05: with_timeout on an empty awaiter (moved from, or awaited already?)");
    }
    return FutureAwaiter<T>(std::make_unique<LazyTimeout<T>>(
        Runtime::current().reactor(), std::move(future), limit, std::move(what)));
}

// A deadline around a whole coroutine: the Task runs inside a TaskFuture (with its own trampoline)
// as the inner future of the LazyTimeout. The task is lazy and so is the clock: both start at the
// co_await. When the time is up, the TaskFuture is dropped, which
// destroys the task's frame — its locals, and the awaiter it was suspended in, which cancels that
// socket or timer. Cancellation by dropping, as in Rust.
template <class T>
FutureAwaiter<T> with_timeout(Task<T> task, std::chrono::milliseconds limit,
                              std::string what = "task") {
    return FutureAwaiter<T>(std::make_unique<LazyTimeout<T>>(
        Runtime::current().reactor(), std::make_unique<TaskFuture<T>>(std::move(task)), limit,
        std::move(what)));
}

} // namespace ch05
