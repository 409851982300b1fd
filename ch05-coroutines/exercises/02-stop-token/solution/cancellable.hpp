// Exercise ch05/02, a reference answer: cancellation by request, with C++20's std::stop_token.
// with_timeout cancels by time; a stop token lets anyone — another task, another thread, a user
// pressing Ctrl-C — ask an operation to stop. StopAware waits for whichever comes first: the inner
// future, or the stop. A std::stop_callback, run on the thread that calls request_stop(), wakes the
// suspended task; its next poll sees the stop, drops the inner future (closing its socket) and
// throws Cancelled inside the coroutine.
#pragma once

#include "ch05-coroutines/src/awaitables.hpp"
#include "ch05-coroutines/src/future_awaiter.hpp"

#include "ch04-executor/src/future.hpp"

#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <utility>

namespace ch05::exercise {

// What an operation stopped by its token throws in the awaiting coroutine.
class Cancelled : public std::runtime_error {
public:
    Cancelled() : std::runtime_error("cancelled") {}
};

namespace detail {

// The waker of the latest poll, shared with the stop callback, which may run on any thread.
struct WakerSlot {
    std::mutex mutex;
    std::optional<ch04::Waker> waker;
};

struct WakeOnStop {
    std::shared_ptr<WakerSlot> slot;
    void operator()() const noexcept {
        std::optional<ch04::Waker> waker;
        {
            std::lock_guard lock(slot->mutex);
            waker = slot->waker;
        }
        if (waker) {
            waker->wake(); // thread-safe: queues the task on its executor
        }
    }
};

template <class T>
class StopAware final : public ch04::Future<T> {
public:
    StopAware(std::unique_ptr<ch04::Future<T>> inner, std::stop_token token)
        : inner_(std::move(inner)), token_(std::move(token)) {}

    ch04::PollState<T> poll(const ch04::Waker& waker) override {
        // The order closes a race: store the waker first, then look at the token. A stop that
        // comes after the look finds this waker; a stop that came before is seen by the look.
        {
            std::lock_guard lock(slot_->mutex);
            slot_->waker = waker;
        }
        if (!callback_) {
            callback_.emplace(token_, WakeOnStop{slot_}); // runs at once if stopped already
        }
        if (token_.stop_requested()) {
            inner_.reset(); // cancellation by dropping: its socket is deregistered and closed
            callback_.reset();
            throw Cancelled();
        }
        ch04::PollState<T> state = inner_->poll(waker);
        if (state.is_ready()) {
            callback_.reset(); // done: a later stop has nothing to wake
        }
        return state;
    }

private:
    std::unique_ptr<ch04::Future<T>> inner_;
    std::stop_token token_;
    std::shared_ptr<WakerSlot> slot_ = std::make_shared<WakerSlot>();
    // Declared last, destroyed first: ~stop_callback waits for a callback running on another
    // thread, so the slot it uses is still alive then (and it holds its own shared_ptr anyway).
    std::optional<std::stop_callback<WakeOnStop>> callback_;
};

} // namespace detail

// Completes like `inner`, or throws Cancelled as soon as a stop is requested on `token` — at once,
// also while the awaiting coroutine is suspended, and from any thread. The inner operation is
// dropped then. Throws std::logic_error for an empty awaiter.
template <class T>
FutureAwaiter<T> cancellable(FutureAwaiter<T> inner, std::stop_token token) {
    std::unique_ptr<ch04::Future<T>> future = std::move(inner).release_future();
    if (!future) {
        throw std::logic_error("cancellable: an empty awaiter (moved from, or awaited already?)");
    }
    return FutureAwaiter<T>(
        std::make_unique<detail::StopAware<T>>(std::move(future), std::move(token)));
}

// The chapter's http_get, stoppable: `co_await http_get(path, token)`.
inline FutureAwaiter<std::string> http_get(std::string path, std::stop_token token) {
    return cancellable(ch05::http_get(std::move(path)), std::move(token));
}

} // namespace ch05::exercise
