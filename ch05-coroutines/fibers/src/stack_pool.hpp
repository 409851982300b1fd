// StackPool: fiber stacks kept for reuse. Without it every Fiber maps a fresh Stack (stack.hpp) and
// unmaps it when it ends: three system calls per fiber (mmap, mprotect for the guard page, munmap),
// a page fault the first time each page of the new stack is touched, and, for the munmap, a flush
// of the other CPUs' address translations (the reactor thread shares the address space). A
// program that starts and ends fibers all the time — a server with one fiber per request — pays
// that on every request. The pool keeps the stacks of finished fibers, guard page and all, and
// hands them to new fibers of the same size: no system call, and the pages the last fiber touched
// are still there, so no page fault either.
//
// What it costs, and what a reused stack brings with it:
//  - Memory. A kept stack keeps the pages its fibers touched (4–8 KiB for a request fiber in load
//    mode, up to the whole stack for a deep one) and its address space. The capacity caps how
//    many are kept; a stack given back to a full pool is unmapped as before. The kept stacks live
//    until the program ends (or set_capacity(0)).
//  - The previous fiber's data. A fresh stack is zero pages; a reused one still holds whatever the
//    last fiber left on it. Nothing in a correct program reads it (a local is written before it is
//    read), but a bug that reads an uninitialised local now sees an old request's bytes instead of
//    zeros, and those bytes stay in memory longer. Scrubbing the touched part would cost a memset
//    per fiber; this pool does not.
//  - The sanitizers. AddressSanitizer marks the red zones around stack variables in its shadow
//    memory and clears them when a function returns. A finished fiber's last frames (its entry
//    function and the final switch) never return, so their marks stay behind; give() clears the
//    shadow of the whole stack, or the next fiber's variables would be reported as overflows.
//    ThreadSanitizer needs nothing: a reused stack changes hands under the pool's mutex, and every
//    switch (fiber.cpp) tells TSan that one side happens before the other.
//  - A guard page that stays a guard page: the pool never touches the protection, so a reused
//    stack catches an overflow exactly as a fresh one does (tests/test_stack_pool.cpp checks it).
//
// Shared by all threads behind one mutex (an uncontended lock costs far less than the system calls
// it saves); a per-thread pool would need no lock but would strand stacks on threads that ended.
#pragma once

#include "stack.hpp"

#include <cstddef>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace ch05::fibers {

class StackPool {
public:
    // Keeps at most `capacity` stacks for reuse (0: none, every stack is mapped and unmapped).
    explicit StackPool(std::size_t capacity);
    StackPool(const StackPool&) = delete;
    StackPool& operator=(const StackPool&) = delete;

    // A stack of stack_size_for(usable_bytes): a kept one of exactly that size if there is one,
    // else a freshly mapped one. Throws what Stack's constructor throws.
    Stack take(std::size_t usable_bytes);

    // Keeps `stack` for reuse, or unmaps it when the pool is full. The stack must not be in use.
    void give(Stack stack);

    std::size_t kept() const;
    std::size_t capacity() const;
    // Changes the capacity; stacks beyond the new one are unmapped at once.
    void set_capacity(std::size_t capacity);

    // The pool every Fiber takes its stack from and gives it back to. Its capacity is
    // kDefaultCapacity until someone changes it (ch05-fibers' --pool-stacks).
    static StackPool& shared();
    static constexpr std::size_t kDefaultCapacity = 1024;

private:
    mutable std::mutex mutex_;                                 // guards everything below
    std::unordered_map<std::size_t, std::vector<Stack>> free_; // by usable size
    std::size_t kept_ = 0;
    std::size_t capacity_;
};

} // namespace ch05::fibers
