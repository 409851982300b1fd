// Load mode's runner: join_all over N HttpGetFutures under one block_on on the calling thread —
// ch02's load client rebuilt from this chapter's futures. main.cpp calls it for
// --requests/--delay-ms and prints the summary; the tests call it against misbehaving servers.
// Sits on top of http_get_future.hpp, join_all.hpp and runtime.hpp; counts into common::LoadTally.
#pragma once

#include <common/load.hpp>
#include <common/net.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace ch03 {

struct LoadRun {
    // Calls of the requests' poll(). join_all asks every unfinished request on every wake, so this
    // grows with N times the wakes; ch04's wakers bring it down to about two per request.
    std::uint64_t polls = 0;
    std::uint64_t wakes = 0;              // returns from epoll_wait inside block_on
    std::chrono::milliseconds elapsed{0}; // first connect to last checked body (or the deadline)
};

// Makes `requests` concurrent `GET common::load_path(delay_ms, i)` to `server` and checks every
// answer with `tally` (each request is checked or failed exactly once, without printing). One
// block_on on the calling thread drives them all; when `deadline` (counted from the start) passes
// first, every request still open fails with "block_on: timed out". A failing connection is a
// failed request, not an exception; throws only when the runtime cannot start (no epoll instance).
LoadRun run_load(const common::Endpoint& server, std::size_t requests, long delay_ms,
                 std::chrono::milliseconds deadline, common::LoadTally& tally);

} // namespace ch03
