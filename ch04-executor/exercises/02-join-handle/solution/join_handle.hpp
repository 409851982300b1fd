// Exercise ch04/02, a reference answer: spawn_with_handle, which spawns a future as a task of the
// current executor and returns a JoinHandle — a future another task can poll for the result, and
// a cancel() that makes the task drop its future. Built only from the chapter's public API: the
// task is a wrapper future around the spawned one, and the two sides meet in a shared state.
#pragma once

#include "ch04-executor/src/executor.hpp"
#include "ch04-executor/src/future.hpp"

#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace ch04::exercise {

// What awaiting a cancelled task throws.
class Cancelled : public std::runtime_error {
public:
    Cancelled() : std::runtime_error("task cancelled") {}
};

namespace detail {

// Shared by the task and its handle. A mutex, because cancel() may be called from any thread
// (the waker it calls is thread-safe; the flags must be too).
template <class T>
struct JoinState {
    std::mutex mutex;
    std::optional<T> value;      // the task's result, until the handle takes it
    std::exception_ptr error;    // or what it threw
    bool cancelled = false;      // cancel() was called
    bool finished = false;       // the task has ended (value, error or cancelled)
    std::optional<Waker> joiner; // the task polling the handle, to wake when finished
    std::optional<Waker> task;   // the task itself, to wake when cancelled
};

// The task the executor holds: polls the spawned future until it is ready (or cancelled), stores
// the outcome, wakes the joiner. The spawned future is destroyed as soon as the task ends.
template <class T>
class HandledTask final : public Future<void> {
public:
    HandledTask(std::unique_ptr<Future<T>> inner, std::shared_ptr<JoinState<T>> state)
        : inner_(std::move(inner)), state_(std::move(state)) {}

    PollState<void> poll(const Waker& waker) override {
        {
            std::lock_guard lock(state_->mutex);
            if (!state_->cancelled) {
                state_->task = waker; // cancel() wakes this
            }
        }
        if (is_cancelled()) {
            inner_.reset(); // cancellation by dropping: its destructor deregisters and closes
            finish([](JoinState<T>&) {});
            return PollState<void>::ready();
        }
        try {
            PollState<T> state = inner_->poll(waker);
            if (!state.is_ready()) {
                return PollState<void>::not_ready();
            }
            inner_.reset();
            finish([&](JoinState<T>& s) { s.value.emplace(state.take()); });
        } catch (...) {
            inner_.reset();
            finish([error = std::current_exception()](JoinState<T>& s) { s.error = error; });
        }
        return PollState<void>::ready();
    }

private:
    bool is_cancelled() {
        std::lock_guard lock(state_->mutex);
        return state_->cancelled;
    }
    template <class Store>
    void finish(Store store) {
        std::optional<Waker> joiner;
        {
            std::lock_guard lock(state_->mutex);
            store(*state_);
            state_->finished = true;
            state_->task.reset();
            joiner = std::move(state_->joiner);
            state_->joiner.reset();
        }
        if (joiner) {
            joiner->wake(); // outside the lock: a wake takes the ready queue's lock
        }
    }

    std::unique_ptr<Future<T>> inner_;
    std::shared_ptr<JoinState<T>> state_;
};

} // namespace detail

template <class T>
class JoinHandle final : public Future<T> {
    static_assert(!std::is_void_v<T>, "this exercise's JoinHandle carries a value");

public:
    explicit JoinHandle(std::shared_ptr<detail::JoinState<T>> state) : state_(std::move(state)) {}

    // Ready with the task's value; rethrows its exception; throws Cancelled for a task that was
    // cancelled before it finished. Until then, stores the waker to be woken when it finishes.
    // Polled again after it delivered: std::logic_error.
    PollState<T> poll(const Waker& waker) override {
        std::lock_guard lock(state_->mutex);
        if (delivered_) {
            throw std::logic_error("JoinHandle polled after it delivered");
        }
        if (!state_->finished) {
            state_->joiner = waker;
            return PollState<T>::not_ready();
        }
        delivered_ = true;
        if (state_->value) {
            return PollState<T>::ready(std::move(*state_->value));
        }
        if (state_->error) {
            std::rethrow_exception(state_->error);
        }
        throw Cancelled();
    }

    // Asks the task to stop: on its next poll it destroys its future and finishes as cancelled.
    // Does nothing to a task that finished already (its result is kept). Any thread.
    void cancel() {
        std::optional<Waker> task;
        {
            std::lock_guard lock(state_->mutex);
            if (state_->finished) {
                return;
            }
            state_->cancelled = true;
            task = std::move(state_->task);
            state_->task.reset();
        }
        if (task) {
            task->wake();
        }
    }

private:
    std::shared_ptr<detail::JoinState<T>> state_;
    bool delivered_ = false;
};

// Spawns `future` on the executor running on this thread (ch04::spawn) and returns its handle.
// Dropping the handle detaches the task: it runs on, and its result is dropped.
template <class T>
std::unique_ptr<JoinHandle<T>> spawn_with_handle(std::unique_ptr<Future<T>> future) {
    if (!future) {
        throw std::invalid_argument("spawn_with_handle: no future");
    }
    auto state = std::make_shared<detail::JoinState<T>>();
    spawn(std::make_unique<detail::HandledTask<T>>(std::move(future), state));
    return std::make_unique<JoinHandle<T>>(std::move(state));
}

} // namespace ch04::exercise
