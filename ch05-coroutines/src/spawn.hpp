// spawn and block_on for coroutine tasks: chapter 4's Executor runs them unchanged, each top-level
// Task driven by a TaskFuture (inside block_on's BlockOnFuture below; spawn.cpp's SpawnedTask does
// the same job for a detached task). There is no second scheduler — the coroutine layer adds Task
// and awaiters, the executor and reactor are chapter 4's (book ch. 10: async fns on our own
// runtime). Above task_future.hpp and ch04's executor.hpp.
#pragma once

#include "task.hpp"
#include "task_future.hpp"

#include "ch04-executor/src/executor.hpp"

#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

namespace ch05 {

// Starts `task` as a detached task on the executor running on this thread (it is first resumed
// after the spawning task yields, on the executor's next round). Nobody awaits a detached task, so
// an exception escaping it would have nowhere to go: it is reported on stderr as
// `error: spawned task: <what>` and counted (failed_spawned_tasks()), never silently swallowed.
// Throws std::logic_error outside block_on.
void spawn(Task<void> task);

// How many spawned tasks have ended with an exception, in this process so far.
std::uint64_t failed_spawned_tasks();

// Executor options for block_on: chapter 4's executor prints "<name>: N pending tasks. Sleep until
// notified." when verbose (the demo wants that, a library call does not).
inline ch04::Executor::Options quiet_executor(std::string name = "main") {
    return ch04::Executor::Options{.name = std::move(name), .verbose = false};
}
inline ch04::Executor::Options verbose_executor(std::string name = "main") {
    return ch04::Executor::Options{.name = std::move(name), .verbose = true};
}

namespace detail {

// Where block_on's task leaves its value or its exception.
template <class T>
struct Outcome {
    std::optional<std::conditional_t<std::is_void_v<T>, bool, T>> value;
    std::exception_ptr error;
};

// block_on's top-level task: the TaskFuture of the blocked-on Task, whose outcome it stores instead
// of handing it to the executor. Everything its poll throws lands in the outcome — the exception
// that ended the task's body, and also a failure of drive() itself (a coroutine that suspended in
// something that arranges no wake-up). So it always finishes as far as the executor is concerned,
// and block_on rethrows the real cause rather than finding the task gone without a result.
//
// Why the outcome is shared (held here and by block_on) rather than a local of block_on behind a
// raw pointer: if the executor's own block_on throws (its machinery, not a task — say an
// allocation fails), this future stays in the caller's executor, unfinished, and the caller may
// run that executor again. A pointer to block_on's unwound local would then dangle, and the next
// block_on would write through it. With shared ownership the outcome lives as long as this future
// needs it, whatever happens to the call that created it.
template <class T>
class BlockOnFuture final : public ch04::Future<void> {
public:
    BlockOnFuture(Task<T> task, std::shared_ptr<Outcome<T>> outcome)
        : task_(std::move(task)), outcome_(std::move(outcome)) {}

    ch04::PollState<void> poll(const ch04::Waker& waker) override {
        try {
            ch04::PollState<T> state = task_.poll(waker);
            if (!state.is_ready()) {
                return ch04::PollState<void>::not_ready();
            }
            if constexpr (std::is_void_v<T>) {
                outcome_->value.emplace(true);
            } else {
                outcome_->value.emplace(state.take());
            }
        } catch (...) {
            outcome_->error = std::current_exception();
        }
        return ch04::PollState<void>::ready();
    }

private:
    TaskFuture<T> task_;
    std::shared_ptr<Outcome<T>> outcome_;
};

} // namespace detail

// Runs `task` on `executor` on this thread until it — and every task spawned meanwhile — has
// finished, and returns its value or rethrows its exception (or the error that made the runtime
// give up on it). The caller keeps the executor, so it can read its statistics (polls())
// afterwards. Do not call it from inside a task: it would block that task's executor thread.
template <class T>
T block_on(ch04::Executor& executor, Task<T> task) {
    // Shared with the BlockOnFuture, which may outlive this call (see above).
    const auto outcome = std::make_shared<detail::Outcome<T>>();
    executor.block_on(std::make_unique<detail::BlockOnFuture<T>>(std::move(task), outcome));
    if (outcome->error) {
        std::rethrow_exception(outcome->error);
    }
    if (!outcome->value) {
        // Not reachable while BlockOnFuture::poll catches everything; kept so that a change there
        // ends in an error rather than in reading an empty optional.
        throw std::logic_error("ch05: block_on: the task ended without a result");
    }
    if constexpr (!std::is_void_v<T>) {
        return std::move(*outcome->value);
    }
}

// The same with an executor of its own, quiet unless asked otherwise.
template <class T>
T block_on(Task<T> task, ch04::Executor::Options options = quiet_executor()) {
    ch04::Executor executor(std::move(options));
    return block_on(executor, std::move(task));
}

} // namespace ch05
