// Load mode's client: N concurrent requests driven by the calling thread and one Poll — the
// demo's loop without the printing, at scale. main.cpp calls it for --requests/--delay-ms and
// prints the summary; the tests run it against the delay server and every misbehaving server.
// Sits on top of poll.hpp and read_until_blocked.hpp; counts into common::LoadTally.
#pragma once

#include <common/load.hpp>
#include <common/net.hpp>

#include <chrono>
#include <cstddef>

namespace ch02 {

struct LoadRun {
    std::size_t polls = 0; // Poll::poll calls. Each returns the sockets ready at that moment (up
                           // to 1024); it sleeps only when none is ready yet.
    std::chrono::milliseconds elapsed{0}; // first connect to last checked body (or the deadline)
};

// Makes `requests` concurrent `GET common::load_path(delay_ms, i)` to `server` from the calling
// thread and checks every answer with `tally` (each request is checked or failed exactly once).
// Returns when every request is answered or failed, or when `deadline` (counted from the first
// connect) has passed: the requests still open then fail with "... timed out". Throws only when
// the Poll itself cannot be created or waited on, or std::logic_error for an event whose token
// it never registered (a bug); a failing connection is a failed request.
LoadRun run_load_client(const common::Endpoint& server, std::size_t requests, long delay_ms,
                        std::chrono::milliseconds deadline, common::LoadTally& tally);

} // namespace ch02
