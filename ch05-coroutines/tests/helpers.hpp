// Test helpers shared by ch05's test files: a watchdog that bounds a whole test case, and small
// chapter-4 futures whose behaviour a test controls (ready at once, ready after some spurious
// wakes, waking during their own poll, throwing), to drive the leaf protocol deterministically.
// Test code only; sits on top of the chapter's layer.
#pragma once

#include "ch05-coroutines/src/future_awaiter.hpp"
#include "ch05-coroutines/src/task.hpp"

#include "ch04-executor/src/future.hpp"
#include "ch04-executor/src/waker.hpp"

#include <common/test_support/child_process.hpp>
#include <common/test_support/watchdog.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

namespace ch05::test {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

using common::test::contains;

inline long elapsed_ms(Clock::time_point since) {
    return static_cast<long>(
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count());
}

// Every test case that runs a runtime bounds itself with common's Watchdog.
using common::test::Watchdog;

// Ready with `value` at its first poll: an await that completes synchronously.
template <class T>
class ReadyNow final : public ch04::Future<T> {
public:
    explicit ReadyNow(T value) : value_(std::move(value)) {}
    ch04::PollState<T> poll(const ch04::Waker&) override {
        return ch04::PollState<T>::ready(std::move(value_));
    }

private:
    T value_;
};

// Not ready for its first `not_ready_polls` polls; on each of those it wakes its task at once
// (a spurious wake, as far as the coroutine is concerned), then it is ready with `value`. Counts
// its polls into *polls, unless `polls` is nullptr.
class ReadyAfter final : public ch04::Future<int> {
public:
    ReadyAfter(int not_ready_polls, int value, int* polls)
        : left_(not_ready_polls), value_(value), polls_(polls) {}
    ch04::PollState<int> poll(const ch04::Waker& waker) override {
        if (polls_ != nullptr) {
            ++*polls_;
        }
        if (left_ == 0) {
            return ch04::PollState<int>::ready(value_);
        }
        --left_;
        waker.wake(); // the wake comes *during* the poll, before the coroutine has suspended
        return ch04::PollState<int>::not_ready();
    }

private:
    int left_;
    int value_;
    int* polls_;
};

// Throws at its first poll, as a leaf does when its connection is refused.
class ThrowsOnPoll final : public ch04::Future<int> {
public:
    explicit ThrowsOnPoll(std::string what) : what_(std::move(what)) {}
    ch04::PollState<int> poll(const ch04::Waker&) override { throw std::runtime_error(what_); }

private:
    std::string what_;
};

// co_await yield_once(): suspends once and is woken at once — the smallest real suspension.
inline FutureAwaiter<int> yield_once() {
    return from_future(std::make_unique<ReadyAfter>(1, 0, nullptr));
}

} // namespace ch05::test
