// Implementation of poll_waker.hpp.
#include "poll_waker.hpp"

#include <common/error.hpp>

#include <cerrno>
#include <cstdint>
#include <sys/eventfd.h>
#include <unistd.h>

namespace ch02 {

PollWaker::PollWaker(const Registry& registry, Token token)
    : event_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)), token_(token) {
    if (!event_fd_) {
        common::throw_errno("eventfd");
    }
    registry.register_fd(event_fd_.get(), token, Interest::readable() | Interest::edge_triggered());
}

void PollWaker::wake() const {
    const std::uint64_t one = 1;
    for (;;) {
        if (::write(event_fd_.get(), &one, sizeof one) == sizeof one) {
            return;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno == EAGAIN) {
            // The counter is at its maximum (2^64 - 2): a wake is certainly pending already.
            return;
        }
        common::throw_errno("write eventfd");
    }
}

void PollWaker::reset() const {
    std::uint64_t count = 0;
    // EAGAIN means the counter was already zero; either way it is zero now.
    while (::read(event_fd_.get(), &count, sizeof count) < 0 && errno == EINTR) {
    }
}

} // namespace ch02
