// join_all: await many tasks at once and get their results in the order given (the book's
// chapter 7 join_all, which chapter 3 wrote as a future polling all its children). Here each child
// runs as a task of its own on the executor, and a shared join state wakes the waiting coroutine
// when the last child finishes: a wake polls only the child it was for, so a request costs the same
// few polls whether it is joined with 5 others or 10,000 (chapter 3 re-polled every child on every
// wake). Above spawn.hpp and future_awaiter.hpp.
#pragma once

#include "future_awaiter.hpp"
#include "spawn.hpp"
#include "task.hpp"

#include "ch04-executor/src/future.hpp"
#include "ch04-executor/src/waker.hpp"

#include <cstddef>
#include <exception>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace ch05 {
namespace detail {

// Shared by the joining coroutine and its children. All of them run on one executor thread (spawn
// puts the children on the executor of the joiner), so no lock is needed. A shared_ptr, because
// the joiner may be destroyed before its children finish (say, by a with_timeout around it): the
// children then finish into a state nobody reads, and the last one's wake is a false wakeup —
// either for a task that is gone (chapter 4's executor ignores the id) or, under with_timeout, for
// the outer task whose waker the JoinFuture was polled with, which re-polls whatever leaf it now
// waits on and finds nothing new.
template <class T>
struct JoinState {
    explicit JoinState(std::size_t n) : remaining(n) {
        if constexpr (!std::is_void_v<T>) {
            results.resize(n);
        }
    }

    using Slot = std::optional<std::conditional_t<std::is_void_v<T>, bool, T>>;
    std::vector<Slot> results; // results[i] from child i (unused for T = void)
    std::size_t remaining;     // children not finished yet
    std::exception_ptr error;  // the exception of the failed child with the lowest index
    std::size_t error_index = std::numeric_limits<std::size_t>::max();
    std::optional<ch04::Waker> joiner; // stored by JoinFuture while the joiner waits
};

// Counts child `index` as finished when it goes out of scope, whichever way that happens: at the
// end of join_child's body, or when join_child's frame is destroyed while it is still suspended.
// The second happens when the executor drops the child's task — its poll failed outside the body
// (a coroutine in it awaited something that arranges no wake-up, and drive() refused it), or the
// executor itself was destroyed. Without this guard `remaining` would never reach 0 and the joiner
// would wait forever; with it the joiner is woken and join_all fails with this child's error.
template <class T>
class ChildGuard {
public:
    // `state` is join_child's parameter, which outlives this local of the same frame.
    ChildGuard(JoinState<T>& state, std::size_t index) : state_(state), index_(index) {}
    ChildGuard(const ChildGuard&) = delete;
    ChildGuard& operator=(const ChildGuard&) = delete;

    // The child's outcome is stored; anything else at destruction means it was dropped.
    void finished() noexcept { finished_ = true; }

    // Records a failure of this child; the lowest index wins (join_all's rule).
    void failed(std::exception_ptr error) noexcept {
        finished_ = true;
        if (index_ < state_.error_index) {
            state_.error = std::move(error);
            state_.error_index = index_;
        }
    }

    ~ChildGuard() {
        if (!finished_) {
            failed(dropped_error());
        }
        if (--state_.remaining == 0 && state_.joiner) {
            state_.joiner->wake();
        }
    }

private:
    std::exception_ptr dropped_error() const noexcept {
        try {
            throw std::logic_error("ch05: join_all: child " + std::to_string(index_) +
                                   " was dropped by its executor before it finished (see its "
                                   "'error: spawned task' line)");
        } catch (...) {
            return std::current_exception(); // std::bad_alloc, if even the message failed
        }
    }

    JoinState<T>& state_;
    std::size_t index_;
    bool finished_ = false;
};

// Child i: runs the task and stores its result (or exception) at index i; its guard wakes the
// joiner if it is the last one. Never throws, so it is never reported as a failed spawned task.
template <class T>
Task<void> join_child(Task<T> task, std::shared_ptr<JoinState<T>> state, std::size_t index) {
    ChildGuard<T> guard(*state, index); // a local of the frame: destroyed with it, however it ends
    try {
        if constexpr (std::is_void_v<T>) {
            co_await std::move(task);
        } else {
            state->results[index].emplace(co_await std::move(task));
        }
        guard.finished();
    } catch (...) {
        guard.failed(std::current_exception());
    }
}

// The joiner's leaf: ready when no child is left; otherwise it leaves the waker in the state —
// the "register the waker before suspending" rule, with the join state playing the reactor.
template <class T>
class JoinFuture final : public ch04::Future<void> {
public:
    explicit JoinFuture(std::shared_ptr<JoinState<T>> state) : state_(std::move(state)) {}
    ch04::PollState<void> poll(const ch04::Waker& waker) override {
        if (state_->remaining == 0) {
            return ch04::PollState<void>::ready();
        }
        state_->joiner = waker;
        return ch04::PollState<void>::not_ready();
    }

private:
    std::shared_ptr<JoinState<T>> state_;
};

// Spawns every child, then waits for the last one. Parameters by value, as every coroutine's here.
template <class T>
Task<void> spawn_and_wait(std::vector<Task<T>> tasks, std::shared_ptr<JoinState<T>> state) {
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        spawn(join_child(std::move(tasks[i]), state, i));
    }
    co_await from_future(std::make_unique<JoinFuture<T>>(state));
    if (state->error) {
        std::rethrow_exception(state->error);
    }
}

} // namespace detail

// Awaits every task concurrently; the result vector is in the order of `tasks`, whatever order they
// finish in. Lazy like every Task: nothing is spawned until the join_all is awaited. If children
// throw, join_all still waits for all of them (there is no cancellation of spawned tasks here),
// then rethrows the exception of the lowest-numbered failed child. A child that its executor
// dropped unfinished counts as failed (std::logic_error), so join_all fails instead of hanging.
template <class T>
requires(!std::is_void_v<T>) Task<std::vector<T>> join_all(std::vector<Task<T>> tasks) {
    auto state = std::make_shared<detail::JoinState<T>>(tasks.size());
    co_await detail::spawn_and_wait(std::move(tasks), state);
    std::vector<T> results;
    results.reserve(state->results.size());
    for (auto& slot : state->results) {
        results.push_back(std::move(*slot));
    }
    co_return results;
}

// For tasks without a value: waits for all of them, rethrows as above.
inline Task<void> join_all(std::vector<Task<void>> tasks) {
    auto state = std::make_shared<detail::JoinState<void>>(tasks.size());
    co_await detail::spawn_and_wait(std::move(tasks), state);
}

} // namespace ch05
