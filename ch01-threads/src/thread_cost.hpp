// What an OS thread costs, measured on the machine the program runs on: how long one takes to
// create, how much address space and resident memory a live one adds, and how big a stack it
// reserves. The demo prints these figures so the reader sees their own numbers, not the book's.
#pragma once

#include <chrono>
#include <cstddef>

namespace ch01 {

struct ThreadCost {
    std::size_t threads = 0;                 // how many threads the figures average over
    std::chrono::nanoseconds create_each{0}; // mean time to construct one std::thread
    // Address space a live thread adds (VmSize): its stack and a guard page. The average comes
    // out a little lower when glibc hands a new thread the cached stack of one that has ended.
    long virtual_kib_each = 0;
    long resident_kib_each = 0; // memory a live thread adds (RSS)
    long stack_kib = 0;         // the stack a std::thread got (default size)
};

// Starts `threads` std::threads that do nothing but wait, measures while all of them are alive,
// then releases and joins them. Takes a few milliseconds for a few hundred threads. Throws
// std::system_error when the threads cannot be created (after joining those that were).
ThreadCost measure_thread_cost(std::size_t threads);

// This process's peak virtual memory (VmPeak in /proc/self/status), in KiB; 0 if unreadable.
// Thread stacks show up here in full, while peak RSS only counts the pages they touched.
long vm_peak_kib();

} // namespace ch01
