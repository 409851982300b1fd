// Implementation of poll.hpp: each method is one epoll system call.
#include "poll.hpp"

#include <common/error.hpp>

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
    const auto deadline = timeout ? std::optional(Clock::now() + *timeout) : std::nullopt;
    for (;;) {
        int wait_ms = -1; // forever
        if (deadline) {
            const auto left =
                std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now());
            wait_ms = static_cast<int>(std::clamp<long long>(left.count(), 0, INT_MAX));
        }
        const int n = ::epoll_wait(epoll_fd_.get(), events.buffer_.data(),
                                   static_cast<int>(events.buffer_.size()), wait_ms);
        if (n >= 0) {
            events.size_ = static_cast<std::size_t>(n);
            return;
        }
        if (errno != EINTR) {
            events.size_ = 0;
            common::throw_errno("epoll_wait");
        }
        // EINTR: a signal handler ran. Nothing is ready because of it; wait for what is left.
    }
}

} // namespace ch02
