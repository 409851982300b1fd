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
    condition_.notify_one();
}

} // namespace ch04
