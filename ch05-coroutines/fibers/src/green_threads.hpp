// The book's fiber runtime (book ch. 5, c-fibers and d-fibers-closure) on our Fiber: `spawn` a
// function, `yield_thread()` from inside it to let the next one run, and `run()` until all have
// finished, in round-robin order. No I/O and no waking: a thread that yields is simply next in
// line again. fiber_task.hpp is the version that waits for events on chapter 4's runtime.
#pragma once

#include "fiber.hpp"

#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

namespace ch05::fibers {

class GreenRuntime {
public:
    // The book gives every thread 2 MiB; ours takes the size from the caller (--stack-kib).
    explicit GreenRuntime(std::size_t stack_bytes);
    ~GreenRuntime();
    GreenRuntime(const GreenRuntime&) = delete;
    GreenRuntime& operator=(const GreenRuntime&) = delete;

    // Adds a thread; it first runs in run(). Callable from inside a running thread too (nested
    // spawns, as in d-fibers-closure): the new thread runs in the current round, after the threads
    // already in it.
    void spawn(std::function<void()> f);

    // Runs the threads in turn — each until it yields or finishes — until none is left. Rethrows
    // the first exception a thread's function threw (the rest of the threads are dropped, which
    // unwinds them: fiber.hpp). The book's run() calls std::process::exit(0) at the end instead.
    void run();

    // Threads alive (spawned, not finished).
    std::size_t alive() const { return threads_.size(); }

    // The runtime whose run() is running on this thread, or nullptr (the book's static RUNTIME).
    static GreenRuntime* current();

private:
    std::size_t stack_bytes_;
    std::vector<std::unique_ptr<Fiber>> threads_; // in spawn order; run() visits them in turn
    std::size_t spawned_ = 0;                     // --trace: numbers the threads' spans
};

// From inside a thread of a running GreenRuntime: let the next thread run (the book's
// yield_thread). std::logic_error outside one.
void yield_thread();

// The book's free spawn (d-fibers-closure's Runtime::spawn): spawns on GreenRuntime::current().
void spawn(std::function<void()> f);

} // namespace ch05::fibers
