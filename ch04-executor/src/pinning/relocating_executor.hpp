// The executor of the book's ch09/c-coroutines-problem, in C++: a small demo executor whose
// block_on polls the future once where it was handed over, before boxing it as a task (the book's
// "OPTIMIZATION, ASSUME READY"). Boxing it moves it, after its first poll. Part of the pinning
// examples (book ch. 9); only the ch04-pinning program and its tests use it, never the runtime.
//
// For that move to be possible at all, the future cannot be a ch04::Future (which deletes its move
// operations). So this file also declares UnpinnedFuture<T>: the book's ch09 Future before Pin, an
// interface whose implementations the compiler lets you move. Everything else (Waker, ReadyQueue,
// the reactor behind the leaf futures) is ch04's.
#pragma once

#include "ch04-executor/src/future.hpp"
#include "ch04-executor/src/waker.hpp"

#include <common/print.hpp>

#include <concepts>
#include <cstddef>
#include <limits>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#if defined(__SANITIZE_ADDRESS__) // g++ -fsanitize=address
#define CH04_PINNING_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) // clang -fsanitize=address
#define CH04_PINNING_ASAN 1
#endif
#endif
#ifdef CH04_PINNING_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace ch04::pinning {

// ch04::Future without the rule: the same poll, but copy and move are left to each implementation,
// and WriterCoroutine's are the ones the compiler writes (member by member). That is the book's
// `trait Future { fn poll(&mut self, waker: &Waker) -> ... }` of ch09/a to c, where every value
// can be moved.
template <class T>
class UnpinnedFuture {
public:
    using Output = T;
    virtual ~UnpinnedFuture() = default;
    virtual PollState<T> poll(const Waker& waker) = 0;

protected: // copy and move stay available to derived classes (and only through them)
    UnpinnedFuture() = default;
    UnpinnedFuture(const UnpinnedFuture&) = default;
    UnpinnedFuture(UnpinnedFuture&&) = default;
    UnpinnedFuture& operator=(const UnpinnedFuture&) = default;
    UnpinnedFuture& operator=(UnpinnedFuture&&) = default;
};

// What block_on accepts: a future it can poll and then move into a box. ch04's futures fail the
// second half, so a call with one does not compile (test_pinning.cpp checks that).
template <class F>
concept RelocatableFuture =
    std::derived_from<F, UnpinnedFuture<void>> && std::move_constructible<F>;

class RelocatingExecutor {
public:
    // Takes the future by value, as the book's `block_on<F: Future>(&mut self, future: F)` does:
    // the parameter `future` is this call's own object.
    template <RelocatableFuture F>
    void block_on(F future) {
        // ===== the optimisation: assume it is ready, poll it where it is =====
        // The waker names no task (the book uses usize::MAX); a wake for it is a false wakeup.
        if (future.poll(Waker(ready_, kNoTask)).is_ready()) {
            return;
        }
        // Not ready: make it a task. This MOVES the future, after its first poll: the new object
        // gets the old one's members, pointers included, and any pointer into the old object now
        // points at `future`, the moved-from original, not at the task.
        spawn(std::make_unique<F>(std::move(future)));
        // From here on `future` is nobody's: the task is the future. In Rust its bytes stay in
        // block_on's frame, unused, and so they do here: a moved-from C++ object stays alive until
        // its scope ends, so a stale write into it is well defined and lands in the wrong object
        // (the wrong output of `ch04-pinning --part 2`). Under AddressSanitizer we also declare the
        // abandoned object off-limits, so the first access through a stale pointer is reported
        // where it happens.
        const Poisoned abandoned(&future, sizeof future);
        run();
    }

private:
    using Task = std::unique_ptr<UnpinnedFuture<void>>;
    static constexpr TaskId kNoTask = std::numeric_limits<TaskId>::max();

    // Marks [address, address + size) poisoned for ASan while it lives (nothing without ASan).
    class Poisoned {
    public:
        Poisoned(const void* address, std::size_t size) : address_(address), size_(size) {
#ifdef CH04_PINNING_ASAN
            ASAN_POISON_MEMORY_REGION(address_, size_);
#endif
        }
        ~Poisoned() { // before the moved-from future is destroyed at the end of block_on
#ifdef CH04_PINNING_ASAN
            ASAN_UNPOISON_MEMORY_REGION(address_, size_);
#endif
        }
        Poisoned(const Poisoned&) = delete;
        Poisoned& operator=(const Poisoned&) = delete;

    private:
        [[maybe_unused]] const void* address_;
        [[maybe_unused]] std::size_t size_;
    };

    void spawn(Task task) {
        const TaskId id = next_id_++;
        tasks_.emplace(id, std::move(task));
        ready_->push(id);
    }

    // The book's loop, as ch04's Executor runs it (without the error reports: a throw ends it).
    void run() {
        std::vector<TaskId> ready;
        for (;;) {
            ready_->take_all(ready);
            for (const TaskId id : ready) {
                const auto it = tasks_.find(id);
                if (it == tasks_.end()) {
                    continue; // false wakeup: kNoTask, or a task that already finished
                }
                if (it->second->poll(Waker(ready_, id)).is_ready()) {
                    tasks_.erase(it);
                }
            }
            if (tasks_.empty()) {
                common::println("main: All tasks are finished");
                return;
            }
            if (ready_->empty()) {
                common::println("main: " + std::to_string(tasks_.size()) +
                                " pending tasks. Sleep until notified.");
                do {
                    ready_->park();
                } while (ready_->empty());
            }
        }
    }

    std::unordered_map<TaskId, Task> tasks_;
    std::shared_ptr<ReadyQueue> ready_ = std::make_shared<ReadyQueue>();
    TaskId next_id_ = 1;
};

} // namespace ch04::pinning
