// Exercise ch03/02, a reference answer: select over two futures, ready with the first of them.
// Like JoinAll it is a non-leaf future that polls its children; unlike JoinAll it stops at the
// first result and destroys the other child at once — its socket closes, its request is
// abandoned. That is cancellation in a poll-based world: a future that is never polled again does
// nothing more, and dropping it releases what it held.
#pragma once

#include "ch03-leaf-futures/src/future.hpp"

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <utility>

namespace ch03::exercise {

// What a select ends with: which child finished first (0 or 1), and its value.
template <typename T>
struct Selected {
    std::size_t winner = 0;
    T value;
};

template <typename T>
class Select final : public Future<Selected<T>> {
public:
    // Throws std::invalid_argument when a child is null.
    Select(std::unique_ptr<Future<T>> first, std::unique_ptr<Future<T>> second)
        : children_{std::move(first), std::move(second)} {
        if (!children_[0] || !children_[1]) {
            throw std::invalid_argument("select: a child is null");
        }
    }

    PollState<Selected<T>> poll() override {
        if (finished_) {
            throw std::logic_error("select polled after completion");
        }
        try {
            // In order: when both could finish on the same poll, the first one wins and the
            // second is not even polled.
            for (std::size_t i = 0; i < 2; ++i) {
                PollState<T> state = children_[i]->poll();
                if (state.is_ready()) {
                    finished_ = true;
                    children_[0].reset(); // the loser goes now, not when the select is dropped
                    children_[1].reset();
                    return ready(Selected<T>{i, std::move(state).value()});
                }
            }
        } catch (...) {
            finished_ = true;
            children_[0].reset();
            children_[1].reset();
            throw;
        }
        return not_ready;
    }

private:
    std::unique_ptr<Future<T>> children_[2];
    bool finished_ = false;
};

// Lazy, like every future here: nothing is polled until the select is.
template <typename T>
std::unique_ptr<Select<T>> select(std::unique_ptr<Future<T>> first,
                                  std::unique_ptr<Future<T>> second) {
    return std::make_unique<Select<T>>(std::move(first), std::move(second));
}

} // namespace ch03::exercise
