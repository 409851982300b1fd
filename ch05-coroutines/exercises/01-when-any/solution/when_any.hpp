// Exercise ch05/01, a reference answer: when_any over tasks. Each task runs inside a TaskFuture
// (its own trampoline, as with_timeout runs one), and WhenAny polls them all with the waker of the
// task that awaits it — so whichever child's socket or timer fires wakes the awaiting task, which
// polls the children again. The first child to finish wins; the others are destroyed on the spot:
// destroying a TaskFuture destroys its coroutine frames, their locals and the awaiter each was
// suspended in, which deregisters its socket or cancels its timer.
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
        if (children_.empty()) {
            throw std::logic_error("when_any polled after completion");
        }
        try {
            // In order, so that of children ready in the same round the lowest index wins.
            for (std::size_t i = 0; i < children_.size(); ++i) {
                ch04::PollState<T> state = children_[i]->poll(waker);
                if (state.is_ready()) {
                    AnyResult<T> result{i, state.take()};
                    children_.clear(); // the losers' frames go now
                    return ch04::PollState<AnyResult<T>>::ready(std::move(result));
                }
            }
        } catch (...) {
            children_.clear(); // a failing child ends the race, and the others with it
            throw;
        }
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
