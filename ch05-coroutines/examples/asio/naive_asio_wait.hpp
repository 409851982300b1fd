// NaiveAsioWait: what a reader tries first to await an asio operation from our Task — and why it
// cannot work as it is. Kept only so rust_futures_experiments.cpp can show the failure (part 1).
//
// The tempting forms, and what stops each:
//   co_await timer.async_wait(asio::use_awaitable);
//       does not compile: asio::awaitable<void>::await_suspend accepts only the handle of asio's
//       own coroutine type (asio::awaitable's promise), never ch05::Task's — asio's coroutines and
//       ours are two different protocols, each with its own scheduler.
//   co_await NaiveAsioWait{timer};   (below: the coroutine's handle as asio's completion handler)
//       compiles, and is refused at run time. Three things are wrong with it:
//       1. no Waker: our runtime learns that a task can go on only from a Waker, which a ch04 leaf
//          future stores before it returns not ready. This awaiter gives asio a coroutine handle
//          instead, so drive() sees a coroutine suspended with nothing pending and, rather than
//          wait for ever, throws "a coroutine suspended without arranging a wake-up";
//       2. nothing runs the io_context: asio calls a handler only inside io_context::run(), and no
//          thread of ours calls it, so the handler would never run anyway;
//       3. had both been solved, the handler would resume the coroutine on asio's thread, outside
//          the executor that owns the task — while that executor may poll it: a data race.
// The bridge (asio_http_get.hpp) fixes all three: a ch04 future, an AsioThread that runs the
// context, and a handler that only stores the outcome and wakes.
#pragma once

#include <asio/steady_timer.hpp>

#include <coroutine>
#include <system_error>

namespace ch05::examples {

struct NaiveAsioWait {
    asio::steady_timer& timer;

    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> coroutine) {
        timer.async_wait([coroutine](const std::error_code&) { coroutine.resume(); });
    }
    void await_resume() const noexcept {}
};

} // namespace ch05::examples
