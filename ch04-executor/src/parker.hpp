// Parker: the stand-in for Rust's thread::park / Thread::unpark that the book's executor sleeps
// with. An executor with nothing to poll parks; a Waker, called from any thread, unparks it.
//
// The one property that matters: an unpark that happens *before* the park is not lost. The
// executor checks its ready queue, finds it empty, and is about to park — and in that instant the
// reactor thread pushes a task id and unparks. If unpark only woke a thread that is already
// waiting, this wake would vanish and the executor would sleep forever with work in its queue.
// So unpark leaves a token (`notified_`) that the next park consumes and returns on at once.
#pragma once

#include <condition_variable>
#include <mutex>

namespace ch04 {

class Parker {
public:
    // Blocks until unpark() has been called since the last park() returned (maybe already).
    void park();
    // Wakes the parked thread, or makes its next park() return at once. Any thread.
    void unpark();

private:
    std::mutex mutex_;
    std::condition_variable condition_;
    // Written and read only under mutex_, so the check in park() and the store in unpark() cannot
    // interleave badly; the condition variable's wait re-checks it against spurious wakeups.
    bool notified_ = false;
};

} // namespace ch04
