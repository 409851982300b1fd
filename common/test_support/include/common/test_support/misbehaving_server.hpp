// A server on 127.0.0.1 (free port) that reads one request per connection and then misbehaves in a
// chosen way. Every chapter's client is tested against every mode: each must end in a clear error
// (or, for Trickle, the correct body) — never a hang, a crash, a leaked descriptor, or a partial
// body taken as success.
#pragma once

#include "common/fd.hpp"
#include "common/net.hpp"

#include <cstdint>
#include <string_view>
#include <thread>
#include <vector>

namespace common::test {

enum class Misbehavior {
    Silent,             // reads the request, never answers, keeps the connection open
    CloseBeforeAnswer,  // reads the request, closes without sending a byte
    CloseMidBody,       // sends a head promising 32 body bytes, sends 10, closes
    Garbage,            // sends binary garbage instead of HTTP, closes
    Trickle,            // sends a valid response one byte at a time (body kTrickleBody)
    LongerBodyPromised, // promises 1000 body bytes, sends 10, then keeps the connection open
    Reset,              // reads the request, closes with SO_LINGER 0: the client sees ECONNRESET
};

inline constexpr Misbehavior kAllMisbehaviors[] = {
    Misbehavior::Silent,  Misbehavior::CloseBeforeAnswer, Misbehavior::CloseMidBody,
    Misbehavior::Garbage, Misbehavior::Trickle,           Misbehavior::LongerBodyPromised,
    Misbehavior::Reset,
};

// The body a Trickle server delivers, so a test can check it arrived whole.
inline constexpr std::string_view kTrickleBody = "trickled";

std::string_view to_string(Misbehavior m);

// True for the modes whose client must end with an error (all but Trickle).
inline bool must_fail(Misbehavior m) {
    return m != Misbehavior::Trickle;
}

// True for the modes that never finish on their own, so only the client's deadline ends them.
inline bool needs_deadline(Misbehavior m) {
    return m == Misbehavior::Silent || m == Misbehavior::LongerBodyPromised;
}

class MisbehavingServer {
public:
    explicit MisbehavingServer(Misbehavior mode);
    ~MisbehavingServer(); // stops the thread, closes every connection
    MisbehavingServer(const MisbehavingServer&) = delete;
    MisbehavingServer& operator=(const MisbehavingServer&) = delete;

    Endpoint endpoint() const { return Endpoint{"127.0.0.1", port_}; }
    Misbehavior mode() const { return mode_; }

private:
    void run() noexcept;

    Misbehavior mode_;
    Fd listener_;   // non-blocking, listening before the constructor returns
    Fd epoll_;      // the server thread's one event queue: listener, stop event, connections
    Fd stop_event_; // eventfd: the destructor writes it to wake the thread out of epoll_wait
    std::uint16_t port_ = 0;
    std::thread thread_;
};

} // namespace common::test
