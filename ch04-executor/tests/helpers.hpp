// Test helpers shared by ch04's test files: a watchdog that bounds a whole test case, a check that
// no descriptor leaked, a probe future a test can steer from another thread, small wrapper futures
// (capture a result or an error, poll spuriously), and a bounded wait on a ReadyQueue. Test code
// only; sits on top of the chapter's runtime (future.hpp, waker.hpp, executor.hpp).
#pragma once

#include "ch04-executor/src/executor.hpp"
#include "ch04-executor/src/future.hpp"
#include "ch04-executor/src/waker.hpp"

#include <common/test_support/child_process.hpp>
#include <common/test_support/resources.hpp>
#include <common/test_support/watchdog.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace ch04::test {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

using common::test::contains;

// Every test case that runs a runtime bounds itself with common's Watchdog.
using common::test::Watchdog;

// Declared first in a test case, so that it is destroyed last: checks that every descriptor the
// case opened (a reactor's epoll and eventfd, sockets, pipes) is closed again by its end.
class DescriptorCheck {
public:
    DescriptorCheck() : baseline_(common::test::open_descriptor_count()) {}
    ~DescriptorCheck() { CHECK(common::test::open_descriptor_count() == baseline_); }
    DescriptorCheck(const DescriptorCheck&) = delete;
    DescriptorCheck& operator=(const DescriptorCheck&) = delete;

private:
    std::size_t baseline_;
};

// The shared state of a ProbeFuture: how often it was polled, the waker of its latest poll, and
// whether it may finish. Another thread waits on it and steers it.
struct Probe {
    std::mutex mutex;
    std::condition_variable changed;
    int polls = 0;
    std::optional<Waker> waker;
    bool release = false;

    // Waits (at most `timeout`) until `polls` reaches `n`. Returns whether it did.
    bool wait_for_polls(int n, std::chrono::milliseconds timeout = 10s) {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, timeout, [&] { return polls >= n; });
    }
    int poll_count() {
        std::lock_guard lock(mutex);
        return polls;
    }
    // Lets the future finish at its next poll and wakes it through the waker it left.
    void release_and_wake() {
        std::optional<Waker> to_wake;
        {
            std::lock_guard lock(mutex);
            release = true;
            to_wake = waker;
        }
        if (to_wake) {
            to_wake->wake();
        }
    }
};

// A future that is ready only once its probe says so. Each poll is counted and leaves its waker in
// the probe, as a leaf future leaves it with the reactor.
class ProbeFuture final : public Future<void> {
public:
    explicit ProbeFuture(std::shared_ptr<Probe> probe) : probe_(std::move(probe)) {}

    PollState<void> poll(const Waker& waker) override {
        std::lock_guard lock(probe_->mutex);
        ++probe_->polls;
        probe_->waker = waker;
        probe_->changed.notify_all();
        return probe_->release ? PollState<void>::ready() : PollState<void>::not_ready();
    }

private:
    std::shared_ptr<Probe> probe_;
};

// What a Capture future saw: the value, or the error's message.
template <class T>
struct Outcome {
    std::optional<T> value;
    std::string error;
    Clock::time_point finished{};
};

// Polls an inner future to completion and stores its value or its exception's message in
// `outcome`, so a test can look at the result after block_on (tasks themselves return nothing).
template <class T>
class Capture final : public Future<void> {
public:
    Capture(std::unique_ptr<Future<T>> inner, Outcome<T>& outcome)
        : inner_(std::move(inner)), outcome_(outcome) {}

    PollState<void> poll(const Waker& waker) override {
        try {
            PollState<T> state = inner_->poll(waker);
            if (!state.is_ready()) {
                return PollState<void>::not_ready();
            }
            outcome_.value = state.take();
        } catch (const std::exception& e) {
            outcome_.error = e.what();
        }
        outcome_.finished = Clock::now();
        return PollState<void>::ready();
    }

private:
    std::unique_ptr<Future<T>> inner_;
    Outcome<T>& outcome_;
};

// Polls its inner future and, whenever that is not ready, wakes itself at once: every poll after
// the first is spurious. A correct future must neither finish early nor misbehave under this.
template <class T>
class SpuriousPoller final : public Future<T> {
public:
    explicit SpuriousPoller(std::unique_ptr<Future<T>> inner, int& polls)
        : inner_(std::move(inner)), polls_(polls) {}

    PollState<T> poll(const Waker& waker) override {
        ++polls_;
        PollState<T> state = inner_->poll(waker);
        if (!state.is_ready()) {
            waker.wake(); // "poll me again" — with nothing new to see
        }
        return state;
    }

private:
    std::unique_ptr<Future<T>> inner_;
    int& polls_;
};

// Parks on `queue` until it holds at least one id, then returns them all. Bounded by the test's
// Watchdog. park() may return on a stale token, hence the loop.
inline std::vector<TaskId> wait_for_ids(ReadyQueue& queue) {
    std::vector<TaskId> ids;
    for (;;) {
        queue.take_all(ids);
        if (!ids.empty()) {
            return ids;
        }
        queue.park();
    }
}

// An executor that prints nothing (the tests check its behaviour, not its log).
inline Executor::Options quiet(std::string name = "test") {
    return Executor::Options{.name = std::move(name), .verbose = false};
}

} // namespace ch04::test
