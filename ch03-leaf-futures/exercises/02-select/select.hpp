// Exercise ch03/02, the file you edit (see README.md): select over two futures, ready with the
// first of them, the other one destroyed at once. The interface is fixed (the tests use it); write
// Select::poll.
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
        // TODO: poll the children in order; the first that is ready wins: destroy both children,
        // return ready(Selected<T>{index, value}). A child that throws ends the select (destroy
        // both, rethrow). Polled after it finished: throw std::logic_error.
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
