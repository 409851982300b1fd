// Exercise ch05/02, the file you edit (see README.md): cancellation by request with C++20's
// std::stop_token. `co_await http_get(path, token)` must end with Cancelled as soon as someone
// calls request_stop() on the token's source — from another task or another thread — even while
// the coroutine is suspended. As given, the token is ignored. The interface is fixed (the tests
// use it); write StopAware::poll (and use WakeOnStop).
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
        // TODO: keep the waker where a std::stop_callback (WakeOnStop) finds it, register that
        // callback once, and when the token says stop: drop inner_, throw Cancelled. As given, the
        // token is ignored.
        return inner_->poll(waker);
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
