// Implementation of thread_cost.hpp: /proc/self/statm before and during, a clock around creation.
#include "thread_cost.hpp"

#include <cstddef>
#include <fstream>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include <pthread.h>
#include <unistd.h>

namespace ch01 {
namespace {

struct Memory {
    long virtual_kib = 0;
    long resident_kib = 0;
};

// /proc/self/statm: "size resident shared text lib data dt", in pages.
Memory current_memory() {
    std::ifstream statm("/proc/self/statm");
    long size_pages = 0;
    long resident_pages = 0;
    statm >> size_pages >> resident_pages;
    const long page_kib = sysconf(_SC_PAGESIZE) / 1024;
    return Memory{size_pages * page_kib, resident_pages * page_kib};
}

// The stack size of the calling thread, as the system gave it.
long own_stack_kib() {
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) != 0) {
        return 0;
    }
    std::size_t size = 0;
    pthread_attr_getstacksize(&attr, &size);
    pthread_attr_destroy(&attr);
    return static_cast<long>(size / 1024);
}

// Opens the latch when destroyed, so the waiting threads can finish on every path out of the
// measurement, exceptions included.
struct OpenOnExit {
    std::latch& latch;
    ~OpenOnExit() { latch.count_down(); }
};

} // namespace

ThreadCost measure_thread_cost(std::size_t threads) {
    using Clock = std::chrono::steady_clock;
    ThreadCost cost;
    cost.threads = threads;
    if (threads == 0) {
        return cost;
    }
    std::latch all_started{static_cast<std::ptrdiff_t>(threads)};
    std::latch release{1};
    long stack_kib = 0; // written by thread 0 before it counts down `all_started`
    const Memory before = current_memory();
    {
        // jthreads join when the vector is destroyed; `open` is declared after the vector, so it
        // is destroyed first: the latch opens, then the threads are joined. In that order no join
        // can wait for a thread that waits for the latch, even when creating one throws.
        std::vector<std::jthread> waiting;
        waiting.reserve(threads);
        const OpenOnExit open{release};

        const auto start = Clock::now();
        for (std::size_t i = 0; i < threads; ++i) {
            waiting.emplace_back([&, i] {
                if (i == 0) {
                    stack_kib = own_stack_kib();
                }
                all_started.count_down(); // publishes stack_kib (count_down is a release)
                release.wait();
            });
        }
        const auto created = Clock::now() - start;
        // Measure once every thread has run (touched its stack and thread-local storage), so the
        // resident figure is what a live thread really costs, not one that has not started yet.
        all_started.wait();
        const Memory during = current_memory();

        const auto n = static_cast<long>(threads);
        cost.create_each = std::chrono::duration_cast<std::chrono::nanoseconds>(created) / n;
        cost.virtual_kib_each = (during.virtual_kib - before.virtual_kib) / n;
        cost.resident_kib_each = (during.resident_kib - before.resident_kib) / n;
        cost.stack_kib = stack_kib;
    }
    return cost;
}

long vm_peak_kib() {
    std::ifstream status("/proc/self/status");
    std::string key;
    while (status >> key) {
        if (key == "VmPeak:") {
            long kib = 0;
            status >> kib;
            return kib;
        }
        status.ignore(4096, '\n');
    }
    return 0;
}

} // namespace ch01
