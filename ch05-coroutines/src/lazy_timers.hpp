// The timers behind sleep_for and with_timeout: chapter 4's Sleep and Timeout with one change, made
// on purpose — the clock starts at the first poll, which for an awaitable is its co_await, not
// when the object is built. Above ch04's sleep.hpp; used by awaitables.hpp.
//
// Why: in this chapter nothing an awaitable stands for starts before it is awaited. A Task's body,
// http_get's connection — and so the clock too. Chapter 4's Sleep fixes its deadline when it is
// constructed (as tokio's sleep and timeout do); here that would charge an operation for time
// that passed before it began:
//
//     auto first = with_timeout(http_get("/800/a"), 1000ms);
//     auto second = with_timeout(http_get("/800/b"), 1000ms);
//     co_await first;   // 800 ms
//     co_await second;  // with a clock started at construction: 200 ms left, and it times out
//
// In Rust the call is nearly always written inside the `.await` expression, so the difference
// rarely shows; in C++ an awaiter built in a statement of its own is ordinary code.
#pragma once

#include "ch04-executor/src/future.hpp"
#include "ch04-executor/src/reactor.hpp"
#include "ch04-executor/src/sleep.hpp"
#include "ch04-executor/src/waker.hpp"

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace ch05 {

// Ready once `duration` has passed since its first poll (or since start(), if that came first).
class LazySleep final : public ch04::Future<void> {
public:
    LazySleep(ch04::Reactor& reactor, std::chrono::milliseconds duration)
        : state_(NotStarted{&reactor, duration}) {}

    // Starts the clock, once; later calls do nothing.
    void start() {
        if (const auto* not_started = std::get_if<NotStarted>(&state_)) {
            const NotStarted args = *not_started; // emplace destroys what it replaces
            state_.emplace<ch04::Sleep>(*args.reactor, args.duration); // deadline: now + duration
        }
    }

    ch04::PollState<void> poll(const ch04::Waker& waker) override {
        start();
        return std::get<ch04::Sleep>(state_).poll(waker);
    }

private:
    struct NotStarted {
        ch04::Reactor* reactor;
        std::chrono::milliseconds duration;
    };
    // Before the start, what chapter 4's Sleep will need; from the start on, that Sleep, built in
    // place (a future never moves) — its destructor cancels the timer. One or the other, not both:
    // load mode keeps ten thousand of these, and the variant is 16 bytes smaller than keeping the
    // arguments beside a std::optional<ch04::Sleep>.
    std::variant<NotStarted, ch04::Sleep> state_;
};

// Completes like `inner`, or throws ch04::TimedOut("<what>: timed out") once `limit` has passed
// since its first poll. Chapter 4's Timeout otherwise: the inner future is polled first, so when
// both are ready at one poll the result wins, and when the time is up the inner future is dropped,
// which cancels what it was doing.
template <class T>
class LazyTimeout final : public ch04::Future<T> {
public:
    LazyTimeout(ch04::Reactor& reactor, std::unique_ptr<ch04::Future<T>> inner,
                std::chrono::milliseconds limit, std::string what)
        : inner_(std::move(inner)), timer_(reactor, limit), what_(std::move(what)) {
        if (!inner_) {
            throw std::invalid_argument("LazyTimeout: no future to wait for");
        }
    }

    ch04::PollState<T> poll(const ch04::Waker& waker) override {
        if (!inner_) {
            throw std::logic_error("LazyTimeout polled after it timed out");
        }
        // The clock starts before the inner future's first poll, so the time that poll takes
        // (chapter 4's connect blocks) counts against the limit.
        timer_.start();
        ch04::PollState<T> state = inner_->poll(waker);
        if (state.is_ready()) {
            return state;
        }
        if (timer_.poll(waker).is_ready()) {
            inner_.reset();
            throw ch04::TimedOut(what_ + ": timed out");
        }
        return state;
    }

private:
    std::unique_ptr<ch04::Future<T>> inner_;
    LazySleep timer_;
    std::string what_;
};

} // namespace ch05
