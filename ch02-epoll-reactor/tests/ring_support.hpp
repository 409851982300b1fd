// Helpers for the tests that need io_uring (ch02's ring tests, ch04's uring reactor tests): open a
// Ring, or report the test as skipped — with the kernel's reason, in the test's output — when this
// machine refuses io_uring. A test that needs the ring and cannot have it must never pass silently.
#pragma once

#include "ch02-epoll-reactor/src/ring.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <optional>
#include <string>

namespace ch02::test {

// Why io_uring cannot be used here ("io_uring unavailable: ..."), or nullopt when it can; with
// Needs::Multishot, also the multishot receive that ch04's UringReactor and the buffer-ring test
// need (Linux 6.0).
enum class Needs { Ring, Multishot };

inline std::optional<std::string> ring_unavailable(Needs needs = Needs::Ring) {
    try {
        const Ring probe(2);
        if (needs == Needs::Multishot) {
            require_multishot_recv();
        }
    } catch (const RingUnavailable& e) {
        return std::string(e.what());
    }
    return std::nullopt;
}

// Use at the top of a test case: `if (skip_without_ring()) return;`
inline bool skip_without_ring(Needs needs = Needs::Ring) {
    if (const auto why = ring_unavailable(needs)) {
        MESSAGE("SKIPPED: " << *why);
        return true;
    }
    return false;
}

} // namespace ch02::test
