// Implementation of parker.hpp.
#include "parker.hpp"

namespace ch04 {

void Parker::park() {
    std::unique_lock lock(mutex_);
    condition_.wait(lock, [this] { return notified_; });
    notified_ = false; // consume the token
}

void Parker::unpark() {
    {
        std::lock_guard lock(mutex_);
        notified_ = true;
    }
    // Notifying after unlocking spares the woken thread from blocking on a mutex we still hold.
    // It cannot lose the wake: park() checks notified_ under the mutex. If it checks after our
    // store, it sees the token and does not wait. If it checked before, it was already waiting by
    // the time we got the mutex (wait() releases the mutex and starts waiting in one step), so
    // this notify reaches it. Nor can the notify touch a destroyed Parker: whoever calls unpark
    // keeps the Parker alive (a Waker holds its ReadyQueue, and so the Parker, by a shared_ptr).
    condition_.notify_one();
}

} // namespace ch04
