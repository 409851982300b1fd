// Exercise ch05/01, the file you edit (see README.md): when_any over tasks — the first result
// wins, the other tasks are cancelled and destroyed. The interface is fixed (the tests use it);
// write WhenAny::poll. The constructor already wraps each task in a TaskFuture, the chapter-4
// future that drives a coroutine.
#pragma once

#include "ch05-coroutines/src/future_awaiter.hpp"
#include "ch05-coroutines/src/task.hpp"
#include "ch05-coroutines/src/task_future.hpp"

#include "ch04-executor/src/future.hpp"

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

namespace ch05::exercise {

// The first result: which task (its index in the vector given) and its value.
template <class T>
struct AnyResult {
    std::size_t index = 0;
    T value;
};

template <class T>
class WhenAny final : public ch04::Future<AnyResult<T>> {
public:
    explicit WhenAny(std::vector<Task<T>> tasks) {
        if (tasks.empty()) {
            throw std::invalid_argument("when_any: no tasks");
        }
        for (Task<T>& task : tasks) {
            children_.push_back(std::make_unique<TaskFuture<T>>(std::move(task)));
        }
    }

    ch04::PollState<AnyResult<T>> poll(const ch04::Waker& waker) override {
        // TODO: poll every child with `waker`, in order; the first ready one wins: destroy all
        // children, return ready(AnyResult<T>{index, value}). A child that throws: destroy all,
        // rethrow. Polled after it finished: std::logic_error.
        (void)waker;
        return ch04::PollState<AnyResult<T>>::not_ready();
    }

private:
    std::vector<std::unique_ptr<TaskFuture<T>>> children_; // empty once finished
};

// `co_await when_any(std::move(tasks))`: the first task to finish, the others cancelled and
// destroyed; an exception of a task (before any finished) is rethrown. Throws
// std::invalid_argument for an empty vector. The tasks start when the result is first awaited.
template <class T>
FutureAwaiter<AnyResult<T>> when_any(std::vector<Task<T>> tasks) {
    return FutureAwaiter<AnyResult<T>>(std::make_unique<WhenAny<T>>(std::move(tasks)));
}

} // namespace ch05::exercise
