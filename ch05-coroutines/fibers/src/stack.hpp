// Stack: the memory a fiber runs on — an mmap'ed region with a guard page below it — and the
// overflow handler that turns running into the guard page into one clear error line. Chapter 5's
// coroutines never need this: a coroutine frame has a size the compiler knows; a fiber's stack
// has a size somebody had to guess (book ch. 5 allocates 2 MiB per thread, ours is --stack-kib).
#pragma once

#include <cstddef>

namespace ch05::fibers {

class Stack {
public:
    // Maps `usable_bytes` (rounded up to whole pages) plus one guard page below them. Pages are
    // only backed by memory once touched, so a big stack costs address space, not RSS, until
    // used. Throws std::system_error when the mapping fails.
    explicit Stack(std::size_t usable_bytes);
    ~Stack();
    Stack(const Stack&) = delete;
    Stack& operator=(const Stack&) = delete;
    // Movable, so a StackPool (stack_pool.hpp) can keep stacks and hand them out again. A
    // moved-from Stack owns nothing.
    Stack(Stack&& other) noexcept;
    Stack& operator=(Stack&& other) noexcept;

    // The usable region [bottom(), top()): a stack grows down from top() towards bottom().
    void* bottom() const { return usable_; }
    void* top() const { return static_cast<char*>(usable_) + size_; }
    std::size_t size() const { return size_; }
    // The guard page just below bottom(): any access faults.
    const void* guard() const { return mapping_; }

    // How many bytes of the usable region are backed by memory now (pages touched so far), from
    // mincore(2). What a waiting fiber really costs.
    std::size_t resident_bytes() const;

private:
    void* mapping_ = nullptr; // guard page + usable region
    void* usable_ = nullptr;
    std::size_t size_ = 0;
};

// The size of a page on this machine.
std::size_t page_size();

// The usable size a Stack made for `usable_bytes` gets: whole pages, at least one.
std::size_t stack_size_for(std::size_t usable_bytes);

// Makes a fault in `running`'s guard page, on this thread, end the process with
// `error: fiber stack overflow (N KiB stack)` and exit status 1. The handler runs on an alternate
// signal stack (installed for the calling thread on first use): the fiber's own stack is exactly
// what just ran out. Call with the stack a thread is about to run on, nullptr when it leaves it;
// returns the previous one so nesting can restore it.
const Stack* set_running_stack(const Stack* running);

} // namespace ch05::fibers
