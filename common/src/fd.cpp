// Implementation of common/fd.hpp.
#include "common/fd.hpp"

#include <unistd.h>

namespace common {

void Fd::reset(int fd) noexcept {
    if (fd_ >= 0) {
        // close() is not retried on EINTR: on Linux the descriptor is released even when close
        // reports EINTR, and retrying could close a descriptor another thread has just opened.
        ::close(fd_);
    }
    fd_ = fd;
}

} // namespace common
