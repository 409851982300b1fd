// Implementation of reactor.hpp: the reactor thread's loop, and the registration calls executors
// make from their own threads.
#include "reactor.hpp"

#include <common/print.hpp>

#include <exception>
#include <optional>
#include <stdexcept>
#include <string>

namespace ch04 {
namespace {

// The PollWaker's token. Ids handed out by next_id() start at 1, so no socket or timer uses it.
constexpr ch02::Token kPollWakerToken{0};

} // namespace

Reactor::Reactor() : poll_waker_(poll_.registry(), kPollWakerToken) {
    // Started last, in the body, so the thread never sees a half-constructed reactor.
    thread_ = std::thread([this] { run(); });
}

Reactor::~Reactor() {
    // Release pairs with the acquire load in run(): the thread that sees `true` also sees
    // everything this thread did before deciding to stop.
    stopping_.store(true, std::memory_order_release);
    poll_waker_.wake();
    thread_.join();
}

void Reactor::throw_if_failed() const {
    if (!failure_.empty()) {
        throw std::runtime_error("reactor: " + failure_);
    }
}

void Reactor::register_fd(int fd, ReactorId id, const Waker& waker) {
    {
        std::lock_guard lock(mutex_);
        throw_if_failed();
        slots_.insert_or_assign(id, Slot{waker, Clock::time_point::max()});
    }
    // Only now may events for `id` arrive, and they will find the waker above (issue #23).
    try {
        poll_.registry().register_fd(fd, ch02::Token{id},
                                     ch02::Interest::readable() | ch02::Interest::edge_triggered());
    } catch (...) {
        std::lock_guard lock(mutex_);
        slots_.erase(id);
        throw;
    }
}

bool Reactor::set_waker(ReactorId id, const Waker& waker) {
    std::lock_guard lock(mutex_);
    throw_if_failed();
    const auto it = slots_.find(id);
    if (it == slots_.end()) {
        return false;
    }
    if (!it->second.waker.will_wake(waker)) {
        it->second.waker = waker;
    }
    return true;
}

void Reactor::deregister(int fd, ReactorId id) {
    // Removing from epoll first means no new event for `id` is produced once we forget its waker.
    // An event already fetched by the reactor thread may still look up `id` and find nothing:
    // that is harmless, there is nobody left to wake.
    //
    // The slot is forgotten even when epoll_ctl fails (it throws), so a failed deregistration
    // cannot leave a waker behind — one that would keep its executor's queue alive for as long
    // as the reactor lives.
    const auto forget = [this, id] {
        std::lock_guard lock(mutex_);
        slots_.erase(id);
    };
    try {
        poll_.registry().deregister(fd);
    } catch (...) {
        forget();
        throw;
    }
    forget();
}

void Reactor::add_timer(ReactorId id, Clock::time_point deadline, const Waker& waker) {
    bool earliest = false;
    {
        std::lock_guard lock(mutex_);
        throw_if_failed();
        slots_.insert_or_assign(id, Slot{waker, deadline});
        earliest = timers_.empty() || deadline < timers_.top().deadline;
        timers_.push(TimerEntry{deadline, id});
    }
    // The reactor thread computed its epoll_wait timeout from the old earliest deadline; if this
    // one is sooner, it must wake up and compute again, or the timer would fire late.
    if (earliest) {
        poll_waker_.wake();
    }
}

void Reactor::cancel_timer(ReactorId id) {
    std::lock_guard lock(mutex_);
    slots_.erase(id);
}

void Reactor::set_dispatch_observer(std::function<void(ReactorId, bool)> observer) {
    std::lock_guard lock(mutex_);
    observer_ = std::move(observer);
}

std::size_t Reactor::registrations() const {
    std::lock_guard lock(mutex_);
    return slots_.size();
}

void Reactor::fire_expired_timers() {
    std::vector<Waker> due;
    {
        std::lock_guard lock(mutex_);
        const auto now = Clock::now();
        while (!timers_.empty() && timers_.top().deadline <= now) {
            const TimerEntry entry = timers_.top();
            timers_.pop();
            const auto it = slots_.find(entry.id);
            // Skip entries of cancelled timers, and stale entries of timers re-armed for later.
            if (it != slots_.end() && it->second.deadline <= now) {
                due.push_back(std::move(it->second.waker));
                slots_.erase(it);
            }
        }
    }
    // Woken outside the lock: wake() takes the executor's queue lock, and holding ours meanwhile
    // would order the two locks one way here and possibly the other way elsewhere.
    for (const Waker& waker : due) {
        waker.wake();
    }
}

void Reactor::run() {
    // 1024 events per wait is plenty: more ready sockets are reported by the next wait.
    ch02::Events events(1024);
    std::vector<std::pair<ReactorId, std::optional<Waker>>> to_wake;
    try {
        while (!stopping_.load(std::memory_order_acquire)) {
            std::optional<std::chrono::milliseconds> timeout;
            {
                std::lock_guard lock(mutex_);
                if (!timers_.empty()) {
                    // Round up, so we never wake before the deadline and spin on a timer that is
                    // "due in 0.3 ms".
                    timeout = std::chrono::ceil<std::chrono::milliseconds>(timers_.top().deadline -
                                                                           Clock::now());
                    if (*timeout < std::chrono::milliseconds(0)) {
                        timeout = std::chrono::milliseconds(0);
                    }
                }
            }
            poll_.poll(events, timeout);
            {
                std::lock_guard lock(mutex_);
                if (!injected_failure_.empty()) {
                    throw std::runtime_error(injected_failure_);
                }
            }

            to_wake.clear();
            std::function<void(ReactorId, bool)> observer;
            {
                std::lock_guard lock(mutex_);
                for (const ch02::Event event : events) {
                    if (event.token() == kPollWakerToken) {
                        poll_waker_.reset(); // we are awake; the loop re-reads timers and stopping_
                        continue;
                    }
                    const ReactorId id = event.token().value;
                    const auto it = slots_.find(id);
                    // Copy the waker: the slot may be replaced or erased as soon as we unlock.
                    to_wake.emplace_back(id, it == slots_.end()
                                                 ? std::nullopt
                                                 : std::optional<Waker>(it->second.waker));
                }
                observer = observer_;
            }
            for (const auto& [id, waker] : to_wake) {
                if (waker) {
                    waker->wake();
                }
                if (observer) {
                    observer(id, waker.has_value());
                }
            }
            fire_expired_timers();
        }
    } catch (const std::exception& e) {
        // epoll_wait failing is not something a tutorial runtime can recover from, and letting the
        // exception escape the thread would call std::terminate. But the tasks waiting on this
        // reactor must not wait forever (their deadlines are timers of this very thread): fail_all
        // wakes every one of them, and their next poll throws this error.
        fail_all(e.what());
    } catch (...) {
        fail_all("unknown exception");
    }
}

void Reactor::fail_all(const std::string& why) {
    std::vector<Waker> everyone;
    {
        std::lock_guard lock(mutex_);
        failure_ = "stopped after an error: " + why;
        for (auto& [id, slot] : slots_) {
            everyone.push_back(std::move(slot.waker));
        }
        slots_.clear();
    }
    for (const Waker& waker : everyone) {
        waker.wake(); // the task polls again, and set_waker (or register_fd) throws failure_
    }
}

void Reactor::fail_for_test(std::string why) {
    {
        std::lock_guard lock(mutex_);
        injected_failure_ = std::move(why);
    }
    poll_waker_.wake();
}

} // namespace ch04
