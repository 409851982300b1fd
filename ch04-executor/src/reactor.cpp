// Implementation of reactor.hpp: the reactor thread's loop, and the registration calls executors
// make from their own threads.
#include "reactor.hpp"

#include <common/trace.hpp>

#include <algorithm>
#include <exception>
#include <stdexcept>
#include <string>
#include <utility>

namespace ch04 {
namespace {

// The PollWaker's token. Ids handed out by next_id() start at 1, so no socket or timer uses it.
constexpr ch02::Token kPollWakerToken{0};

// Fills the hooks a test did not set with ones that do nothing, so each call site needs only one
// check: are there hooks at all?
std::unique_ptr<const Reactor::TestHooks> complete(Reactor::TestHooks hooks) {
    if (!hooks.inside_register_fd) {
        hooks.inside_register_fd = [](ReactorId) {};
    }
    if (!hooks.before_wake_reset) {
        hooks.before_wake_reset = [] {};
    }
    if (!hooks.after_dispatch) {
        hooks.after_dispatch = [](ReactorId, bool) {};
    }
    return std::make_unique<const Reactor::TestHooks>(std::move(hooks));
}

} // namespace

Reactor::Reactor() : poll_waker_(poll_.registry(), kPollWakerToken) {
    // Started last, in the body, so the thread never sees a half-constructed reactor.
    thread_ = std::thread([this] { run(); });
}

Reactor::Reactor(TestHooks hooks)
    : poll_waker_(poll_.registry(), kPollWakerToken), hooks_(complete(std::move(hooks))) {
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

// ---- Called by executors, from any thread ----

void Reactor::register_fd(int fd, ReactorId id, const Waker& waker) {
    {
        std::lock_guard lock(mutex_);
        throw_if_failed();
        sockets_.insert_or_assign(id, waker);
    }
    if (hooks_) { // test-only, see TestHooks
        hooks_->inside_register_fd(id);
    }
    // Only now may events for `id` arrive, and they will find the waker above (issue #23).
    try {
        poll_.registry().register_fd(fd, ch02::Token{id},
                                     ch02::Interest::readable() | ch02::Interest::edge_triggered());
    } catch (...) {
        forget_socket(id); // refused (say, a regular file: EPERM): leave no waker behind
        throw;
    }
}

bool Reactor::set_waker(ReactorId id, const Waker& waker) {
    std::lock_guard lock(mutex_);
    throw_if_failed();
    Waker* stored = stored_waker(id);
    if (stored == nullptr) {
        return false;
    }
    if (!stored->will_wake(waker)) {
        *stored = waker;
    }
    return true;
}

void Reactor::deregister(int fd, ReactorId id) {
    // Removing from epoll first means no new event for `id` is produced once we forget its waker.
    // An event already fetched by the reactor thread may still look up `id` and find nothing:
    // that is harmless, there is nobody left to wake.
    //
    // The waker is forgotten even when epoll_ctl fails (it throws), so a failed deregistration
    // cannot leave a waker behind — one that would keep its executor's queue alive for as long
    // as the reactor lives.
    try {
        poll_.registry().deregister(fd);
    } catch (...) {
        forget_socket(id);
        throw;
    }
    forget_socket(id);
}

void Reactor::forget_socket(ReactorId id) {
    std::lock_guard lock(mutex_);
    sockets_.erase(id);
}

void Reactor::add_timer(ReactorId id, Clock::time_point deadline, const Waker& waker) {
    bool earliest = false;
    {
        std::lock_guard lock(mutex_);
        throw_if_failed();
        timers_.insert_or_assign(id, Timer{deadline, waker});
        earliest = deadlines_.empty() || deadline < deadlines_.top().when;
        deadlines_.push(Deadline{deadline, id});
        common::trace::instant("timer armed", id); // --trace
    }
    // The reactor thread computed its epoll_wait timeout from the old earliest deadline; if this
    // one is sooner, it must wake up and compute again, or the timer would fire late.
    if (earliest) {
        poll_waker_.wake();
    }
}

void Reactor::cancel_timer(ReactorId id) {
    // The heap entry stays (lazy deletion). cancel_timer does not wake the reactor thread: if the
    // thread is already waiting for this deadline, it still wakes once then and finds nothing to
    // do — one empty turn, where a wake per cancel would cost one every time.
    std::lock_guard lock(mutex_);
    timers_.erase(id);
}

std::size_t Reactor::registrations() const {
    std::lock_guard lock(mutex_);
    return sockets_.size() + timers_.size();
}

Waker* Reactor::stored_waker(ReactorId id) {
    if (const auto it = sockets_.find(id); it != sockets_.end()) {
        return &it->second;
    }
    if (const auto it = timers_.find(id); it != timers_.end()) {
        return &it->second.waker;
    }
    return nullptr;
}

// ---- The reactor thread ----

void Reactor::run() {
    // 1024 events per wait is plenty: more ready sockets are reported by the next wait.
    ch02::Events events(1024);
    std::vector<SocketEvent> ready;        // reused from turn to turn
    common::trace::name_thread("reactor"); // --trace: this thread's track (common/trace.hpp)
    try {
        while (!stopping_.load(std::memory_order_acquire)) {
            poll_.poll(events, next_timeout()); // 1. wait for events, a wake or the next timer
            common::trace::begin();             // --trace: steps 2-4 as one span
            take_socket_wakers(events, ready);  // 2. reset the PollWaker; look up the wakers
            wake_sockets(ready);                // 3. wake the tasks whose sockets are ready
            fire_expired_timers();              // 4. and those whose timers are due
            common::trace::end("dispatch");
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

// Step 1: the wait may last until the earliest timer is due; with no timers, until an event.
std::optional<std::chrono::milliseconds> Reactor::next_timeout() {
    std::lock_guard lock(mutex_);
    drop_stale_deadlines(); // a timer cancelled before this point costs no wake at all
    if (deadlines_.empty()) {
        return std::nullopt;
    }
    // Round up, so we never wake before the deadline and spin on a timer that is "due in 0.3 ms".
    const auto timeout =
        std::chrono::ceil<std::chrono::milliseconds>(deadlines_.top().when - Clock::now());
    return std::max(timeout, std::chrono::milliseconds(0));
}

void Reactor::drop_stale_deadlines() {
    while (!deadlines_.empty()) {
        const Deadline& top = deadlines_.top();
        const auto it = timers_.find(top.id);
        if (it != timers_.end() && it->second.deadline == top.when) {
            return; // a live timer
        }
        deadlines_.pop();
    }
}

// Step 2: turns the wait's socket events into the wakers to call. Copies them (under the lock),
// because a slot may be replaced or erased as soon as we unlock; they are called in step 3,
// unlocked.
void Reactor::take_socket_wakers(const ch02::Events& events, std::vector<SocketEvent>& out) {
    out.clear();
    bool woken = false; // through the PollWaker: another thread changed our shared state
    for (const ch02::Event event : events) {
        woken = woken || event.token() == kPollWakerToken;
    }
    // The rule that keeps cross-thread wakes from being lost: reset the PollWaker FIRST, THEN read
    // the shared state (below: the injected failure and the wakers; in the next turn: stopping_
    // and the timers). A thread that wants our attention changes that state first and wakes us
    // second. If its wake came before this reset, the reset swallows it, but its change was made
    // before the wake, so the reads after the reset see it. If its wake comes after the reset, the
    // eventfd stays readable and our next wait returns at once. Read first and reset second, and a
    // change made in between is neither read nor woken for: the reactor would sleep on it until
    // its next timer, or forever. (ch02's poll_waker.hpp says the same from the other side.)
    if (woken) {
        if (hooks_) { // test-only, see TestHooks
            hooks_->before_wake_reset();
        }
        poll_waker_.reset();
    }
    std::lock_guard lock(mutex_);
    if (!injected_failure_.empty()) { // test-only, see fail_for_test
        throw std::runtime_error(injected_failure_);
    }
    for (const ch02::Event event : events) {
        if (event.token() == kPollWakerToken) {
            continue;
        }
        const ReactorId id = event.token().value;
        const auto it = sockets_.find(id);
        out.push_back(SocketEvent{id, it == sockets_.end() ? std::nullopt
                                                           : std::optional<Waker>(it->second)});
    }
}

// Step 3: wakes the tasks whose sockets had events (no lock held: see fire_expired_timers).
void Reactor::wake_sockets(const std::vector<SocketEvent>& ready) {
    for (const auto& [id, waker] : ready) {
        if (waker) {
            waker->wake();
        }
        if (hooks_) { // test-only, see TestHooks
            hooks_->after_dispatch(id, waker.has_value());
        }
    }
}

// Step 4: wakes every timer whose deadline has passed, earliest first.
void Reactor::fire_expired_timers() {
    std::vector<Waker> due;
    {
        std::lock_guard lock(mutex_);
        const auto now = Clock::now();
        while (!deadlines_.empty() && deadlines_.top().when <= now) {
            const Deadline entry = deadlines_.top();
            deadlines_.pop();
            const auto it = timers_.find(entry.id);
            // Skip stale entries: of cancelled timers, and of timers re-armed for another time.
            if (it != timers_.end() && it->second.deadline == entry.when) {
                common::trace::instant("timer fired", entry.id); // --trace
                due.push_back(std::move(it->second.waker));
                timers_.erase(it);
            }
        }
    }
    // Woken outside the lock: wake() takes the executor's queue lock, and holding ours meanwhile
    // would order the two locks one way here and possibly the other way elsewhere.
    for (const Waker& waker : due) {
        waker.wake();
    }
}

void Reactor::fail_all(const std::string& why) {
    std::vector<Waker> everyone;
    {
        std::lock_guard lock(mutex_);
        failure_ = "stopped after an error: " + why;
        for (auto& [id, waker] : sockets_) {
            everyone.push_back(std::move(waker));
        }
        for (auto& [id, timer] : timers_) {
            everyone.push_back(std::move(timer.waker));
        }
        sockets_.clear();
        timers_.clear();
        deadlines_ = {};
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
