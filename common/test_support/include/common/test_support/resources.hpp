// Descriptor accounting and a port that refuses connections.
#pragma once

#include "common/fd.hpp"
#include "common/net.hpp"

#include <cstddef>
#include <cstdint>

namespace common::test {

// How many descriptors this process has open right now (entries of /proc/self/fd). A test reads it
// at its start and checks it again at its end: a difference is a leak (or a thread still running).
std::size_t open_descriptor_count();

// A 127.0.0.1 port that is bound but not listening, so connecting to it is refused for certain —
// unlike a guessed port, which another process might be using. Held for the object's lifetime.
class RefusedPort {
public:
    RefusedPort();
    std::uint16_t port() const { return port_; }
    Endpoint endpoint() const { return Endpoint{"127.0.0.1", port_}; }

private:
    Fd socket_;
    std::uint16_t port_ = 0;
};

} // namespace common::test
