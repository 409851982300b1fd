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
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

namespace ch05 {

// Ready once `duration` has passed since its first poll (or since start(), if that came first).
class LazySleep final : public ch04::Future<void> {
public:
    LazySleep(ch04::Reactor& reactor, std::chrono::milliseconds duration)
        : reactor_(reactor), duration_(duration) {}

    // Starts the clock, once; later calls do nothing.
    void start() {
        if (!sleep_) {
            sleep_.emplace(reactor_,
                           duration_); // chapter 4's Sleep: its deadline is now + duration
        }
    }

    ch04::PollState<void> poll(const ch04::Waker& waker) override {
        start();
        return sleep_->poll(waker);
    }

private:
    ch04::Reactor& reactor_;
    std::chrono::milliseconds duration_;
    std::optional<ch04::Sleep> sleep_; // built in place at the start; its destructor cancels it
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
