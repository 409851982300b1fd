// Implementation of poll.hpp: each method is one epoll system call.
#include "poll.hpp"

#include <common/error.hpp>
#include <common/trace.hpp>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <string>

namespace ch02 {
namespace {

void control(int epoll_fd, int op, int fd, Token token, Interest interest, const char* call) {
    epoll_event event{};
    event.events = interest.epoll_bits();
    event.data.u64 = token.value;
    if (::epoll_ctl(epoll_fd, op, fd, &event) != 0) {
        common::throw_errno(call, "fd " + std::to_string(fd));
    }
}

} // namespace

void Registry::register_fd(int fd, Token token, Interest interest) const {
    control(epoll_fd_, EPOLL_CTL_ADD, fd, token, interest, "epoll_ctl ADD");
}

void Registry::reregister(int fd, Token token, Interest interest) const {
    control(epoll_fd_, EPOLL_CTL_MOD, fd, token, interest, "epoll_ctl MOD");
}

void Registry::deregister(int fd) const {
    // The event argument is ignored for DEL (Linux >= 2.6.9), so none is passed.
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr) != 0) {
        common::throw_errno("epoll_ctl DEL", "fd " + std::to_string(fd));
    }
}

Poll::Poll() : epoll_fd_(::epoll_create1(EPOLL_CLOEXEC)) {
    if (!epoll_fd_) {
        common::throw_errno("epoll_create1");
    }
}

void Poll::poll(Events& events, std::optional<std::chrono::milliseconds> timeout) {
    using Clock = std::chrono::steady_clock;
    // epoll_wait takes an int of milliseconds (about 24.8 days at most). Longer timeouts are capped
    // at a year before the deadline is computed: `now + milliseconds::max()` would overflow the
    // clock's nanosecond count (undefined behaviour), and a year is "forever" for any caller.
    constexpr std::chrono::milliseconds kLongest = std::chrono::hours(24 * 365);
    // (A plain time point plus a flag rather than an optional: g++ 12 at -O1 warns, wrongly, that
    // the optional's value may be used uninitialised.)
    const bool has_deadline = timeout.has_value();
    const Clock::time_point deadline =
        has_deadline ? Clock::now() + std::min(*timeout, kLongest) : Clock::time_point{};
    // The kernel refuses maxevents above INT_MAX / sizeof(epoll_event) with EINVAL.
    const int max_events = static_cast<int>(
        std::min<std::size_t>(events.buffer_.size(), INT_MAX / sizeof(epoll_event)));
    for (;;) {
        int wait_ms = -1; // forever
        bool capped = false;
        if (has_deadline) {
            const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
            wait_ms = static_cast<int>(std::clamp<long long>(left.count(), 0, INT_MAX));
            capped = left.count() > INT_MAX;
        }
        common::trace::begin(); // --trace: the wait as a span (common/trace.hpp)
        const int n = ::epoll_wait(epoll_fd_.get(), events.buffer_.data(), max_events, wait_ms);
        common::trace::end_wait(n);
        if (n > 0 || (n == 0 && !capped)) {
            events.size_ = static_cast<std::size_t>(n);
            return;
        }
        if (n < 0 && errno != EINTR) {
            events.size_ = 0;
            common::throw_errno("epoll_wait");
        }
        // EINTR: a signal handler ran. Nothing is ready because of it; wait for what is left.
        // (Or a wait longer than epoll_wait can express ended early: wait for the rest.)
    }
}

} // namespace ch02
