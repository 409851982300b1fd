// join_all: one future over many, ready when all of them are (the book's `JoinAll`, in
// ch07/c-async-await). A non-leaf future: it runs its children concurrently on one thread by
// polling each unfinished one whenever it is polled itself. Concurrency without threads, and
// without knowing which child can make progress — the cost measured in the README.
#pragma once

#include "future.hpp"

#include <common/trace.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace ch03 {

template <typename T>
class JoinAll final : public Future<std::vector<T>> {
    static_assert(!std::is_void_v<T>,
                  "join_all collects values; wrap a Future<void> to return one");

public:
    // Throws std::invalid_argument when a child is null. Inside, an empty slot means "this child
    // has finished"; a null child would look finished, never be counted, and keep the join_all
    // from ever becoming ready (block_on would run to its deadline). Say so now, not after the
    // deadline.
    explicit JoinAll(std::vector<std::unique_ptr<Future<T>>> futures)
        : futures_(std::move(futures)), results_(futures_.size()) {
        for (std::size_t i = 0; i < futures_.size(); ++i) {
            if (!futures_[i]) {
                throw std::invalid_argument("join_all: child " + std::to_string(i) + " is null");
            }
        }
    }

    // Polls every child that has not finished yet, in the order given. Ready with all the results,
    // in the order given (not the order they completed in), once the last child is ready.
    //
    // It cannot know which child an event was for, so it asks them all, every time: with N
    // children waiting, each wake costs N polls even if only one of them can move. ch04's wakers
    // let the runtime poll only the one that was woken.
    //
    // The book's JoinAll throws the children's values away (its output is an empty String; each
    // of its children prints its own answer as it arrives); this one keeps them, in order.
    //
    // A child's exception ends the join_all (in the book a failed request panics inside the
    // child): it is passed on, and the join_all is finished. The other children are destroyed with
    // it, closing their sockets.
    PollState<std::vector<T>> poll() override {
        if (finished_) {
            throw std::logic_error("join_all polled after completion");
        }
        try {
            for (std::size_t i = 0; i < futures_.size(); ++i) {
                if (!futures_[i]) {
                    continue; // this child finished on an earlier poll: never poll it again
                }
                ++child_polls_;
                common::trace::begin_poll(this, i); // --trace: each poll as a span
                PollState<T> state = futures_[i]->poll();
                common::trace::end_poll("join_all child", i, state.is_ready());
                if (state.is_ready()) {
                    results_[i].emplace(std::move(state).value());
                    futures_[i].reset(); // destroy the finished child now: its memory goes back
                    ++ready_count_;
                }
            }
        } catch (...) {
            finished_ = true;
            futures_.clear();
            throw;
        }
        if (ready_count_ < futures_.size()) {
            return not_ready;
        }
        finished_ = true;
        std::vector<T> out;
        out.reserve(results_.size());
        for (std::optional<T>& result : results_) {
            out.push_back(std::move(*result));
        }
        results_.clear();
        return ready(std::move(out));
    }

    // How many times a child's poll() was called, in total. Load mode prints it as `polls=`.
    std::uint64_t child_polls() const { return child_polls_; }
    // How many children have finished so far.
    std::size_t ready_count() const { return ready_count_; }

private:
    std::vector<std::unique_ptr<Future<T>>> futures_; // a child's slot is empty once it is ready
    std::vector<std::optional<T>> results_;           // filled in as the children finish
    std::size_t ready_count_ = 0;
    bool finished_ = false;
    std::uint64_t child_polls_ = 0;
};

// The book's `join_all(futures)`. Like every future here it is lazy: nothing is polled (so no
// request starts) until the returned future is polled. Throws std::invalid_argument for a null
// child.
template <typename T>
std::unique_ptr<JoinAll<T>> join_all(std::vector<std::unique_ptr<Future<T>>> futures) {
    return std::make_unique<JoinAll<T>>(std::move(futures));
}

} // namespace ch03
