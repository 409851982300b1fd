// Implementation of waker.hpp.
#include "waker.hpp"

namespace ch04 {

void ReadyQueue::push(TaskId id) {
    {
        std::lock_guard lock(mutex_);
        ids_.push_back(id);
    }
    // After the unlock: the mutex's release orders the push before the executor's take_all, and
    // the parker's own mutex orders this unpark against its park (see parker.hpp).
    parker_.unpark();
}

void ReadyQueue::take_all(std::vector<TaskId>& into) {
    into.clear();
    std::lock_guard lock(mutex_);
    into.swap(ids_);
}

bool ReadyQueue::empty() {
    std::lock_guard lock(mutex_);
    return ids_.empty();
}

} // namespace ch04
