// Implementation of stack_pool.hpp: one free list per stack size, a count against the capacity.
#include "stack_pool.hpp"

#include "sanitizers.hpp"

#include <utility>

namespace ch05::fibers {

StackPool::StackPool(std::size_t capacity) : capacity_(capacity) {}

Stack StackPool::take(std::size_t usable_bytes) {
    {
        const std::lock_guard lock(mutex_);
        const auto it = free_.find(stack_size_for(usable_bytes));
        if (it != free_.end() && !it->second.empty()) {
            Stack stack = std::move(it->second.back());
            it->second.pop_back();
            --kept_;
            return stack;
        }
    }
    return Stack(usable_bytes); // mapped outside the lock
}

void StackPool::give(Stack stack) {
    // Before anyone else can take it: the last fiber's red zones must not outlive it (see the
    // header). Nothing in ordinary builds.
    sanitizers::forget_stack(stack.bottom(), stack.size());
    {
        const std::lock_guard lock(mutex_);
        if (kept_ < capacity_) {
            free_[stack.size()].push_back(std::move(stack));
            ++kept_;
            return;
        }
    }
    // Full: `stack` is unmapped when it goes out of scope, outside the lock.
}

std::size_t StackPool::kept() const {
    const std::lock_guard lock(mutex_);
    return kept_;
}

std::size_t StackPool::capacity() const {
    const std::lock_guard lock(mutex_);
    return capacity_;
}

void StackPool::set_capacity(std::size_t capacity) {
    std::vector<Stack> unmap; // unmapped when this function returns, outside the lock
    {
        const std::lock_guard lock(mutex_);
        capacity_ = capacity;
        for (auto& [size, stacks] : free_) {
            while (kept_ > capacity_ && !stacks.empty()) {
                unmap.push_back(std::move(stacks.back()));
                stacks.pop_back();
                --kept_;
            }
        }
    }
}

StackPool& StackPool::shared() {
    // Never destroyed: a Fiber destroyed during exit (a static, a thread_local) still gives its
    // stack back to a live pool. The kept stacks go back to the system with the process.
    static StackPool* const pool = new StackPool(kDefaultCapacity);
    return *pool;
}

} // namespace ch05::fibers
