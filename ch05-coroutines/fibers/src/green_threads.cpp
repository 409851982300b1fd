// Implementation of green_threads.hpp. The book's t_yield switches straight from one thread to the
// next; here every thread switches back to run(), which resumes the next one. The order is the
// same (round robin over the threads in spawn order); the loop in run() is simply the one place
// where that order is decided.
#include "green_threads.hpp"

#include <stdexcept>
#include <utility>

namespace ch05::fibers {
namespace {
thread_local GreenRuntime* current_runtime = nullptr;
} // namespace

GreenRuntime::GreenRuntime(std::size_t stack_bytes) : stack_bytes_(stack_bytes) {}

GreenRuntime::~GreenRuntime() = default;

GreenRuntime* GreenRuntime::current() {
    return current_runtime;
}

void GreenRuntime::spawn(std::function<void()> f) {
    threads_.push_back(std::make_unique<Fiber>(std::move(f), stack_bytes_));
    // --trace: name its spans as the book's output names its threads, in spawn order.
    threads_.back()->set_trace_name("green thread", ++spawned_);
}

void GreenRuntime::run() {
    GreenRuntime* const outer = std::exchange(current_runtime, this);
    try {
        while (!threads_.empty()) {
            // One round. Index-based: a thread may spawn (push_back) while we iterate, and the
            // new thread gets its turn in this same round.
            for (std::size_t i = 0; i < threads_.size(); ++i) {
                threads_[i]->resume();
            }
            std::erase_if(threads_, [](const std::unique_ptr<Fiber>& t) { return t->finished(); });
        }
    } catch (...) {
        threads_.clear(); // unwinds the suspended ones, on this thread, before we leave
        current_runtime = outer;
        throw;
    }
    current_runtime = outer;
}

void yield_thread() {
    if (GreenRuntime::current() == nullptr || Fiber::current() == nullptr) {
        throw std::logic_error("yield_thread: not inside a GreenRuntime thread");
    }
    Fiber::suspend();
}

void spawn(std::function<void()> f) {
    GreenRuntime* runtime = GreenRuntime::current();
    if (runtime == nullptr) {
        throw std::logic_error("spawn: no GreenRuntime is running on this thread");
    }
    runtime->spawn(std::move(f));
}

} // namespace ch05::fibers
