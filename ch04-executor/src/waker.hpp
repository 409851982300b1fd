// Waker: the handle a future leaves behind so that whoever sees its event (the reactor thread, a
// timer, another task) can say "this task can make progress now". Waking puts the task's id on its
// executor's ready queue and unparks the executor's thread — exactly the book's Waker (ch. 8),
// which holds a Thread, an id and an Arc<Mutex<Vec<usize>>>.
//
// Cheap to copy (one shared_ptr), safe to call from any thread, and safe to call after the task or
// even the executor is gone: the queue it points to stays alive as long as any waker does, and an
// executor ignores ids it no longer knows (a "false wakeup").
#pragma once

#include "parker.hpp"

#include <common/trace.hpp>

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace ch04 {

using TaskId = std::uint64_t;

// The part of an executor that other threads touch: the ids of tasks ready to be polled, and the
// parker the executor sleeps on.
class ReadyQueue {
public:
    // Any thread: queue `id`, then unpark the executor. The push happens before the unpark, so an
    // executor that wakes up is certain to find the id.
    void push(TaskId id);
    // Executor thread: replace the contents of `into` with every queued id, leaving the queue
    // empty. Swapping two vectors back and forth keeps both allocations alive between rounds.
    void take_all(std::vector<TaskId>& into);
    bool empty();
    // Executor thread: sleep until a push (maybe one that already happened) unparks us.
    void park() { parker_.park(); }

private:
    std::mutex mutex_; // guards ids_; held only for a push or a swap, never while polling
    std::vector<TaskId> ids_;
    Parker parker_;
};

class Waker {
public:
    Waker(std::shared_ptr<ReadyQueue> queue, TaskId id) : queue_(std::move(queue)), id_(id) {}

    // Schedules the task to be polled again. Waking twice before the poll polls it at most twice;
    // the second poll simply finds nothing new (futures must tolerate that).
    void wake() const {
        common::trace::wake(queue_.get(), id_); // --trace: an arrow to the poll this causes
        queue_->push(id_);
    }

    TaskId id() const { return id_; }
    // True when both wake the same task of the same executor, so storing `other` would change
    // nothing (lets the reactor skip needless replacements).
    bool will_wake(const Waker& other) const { return queue_ == other.queue_ && id_ == other.id_; }

private:
    std::shared_ptr<ReadyQueue> queue_;
    TaskId id_;
};

} // namespace ch04
