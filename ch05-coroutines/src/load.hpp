// Load mode's runner: N spawned coroutine tasks spread over one or more executors (the main thread
// plus worker threads), sharing one Runtime — chapter 4's load runner, with each request written
// as a coroutine instead of a hand-written future. main.cpp calls it for --requests/--delay-ms and
// prints the summary; the tests call it against the delay server and misbehaving servers. Above
// awaitables.hpp, spawn.hpp and runtime.hpp; counts into common::LoadTally.
#pragma once

#include <common/load.hpp>
#include <common/net.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace ch05 {

struct LoadRun {
    // Task polls over all executors: one per executor for the task that spawns the requests, then
    // about two per request (the first poll, and the one after the answer's edge) — the same as
    // chapter 4: the coroutine layer adds no polls.
    std::uint64_t polls = 0;
    std::chrono::milliseconds elapsed{0}; // first connect to last checked body (or the deadline)
    int threads = 0;                      // executors (main thread included) plus the reactor
};

// Makes `requests` concurrent `GET common::load_path(delay_ms, i)` to `server`, request i spawned
// as a coroutine task on executor i % executors, and checks every answer with `tally` (each
// request is checked or failed exactly once, without printing: should an executor break down, the
// requests it had not settled fail with "executor: <cause>"). Every request awaits its GET under
// with_timeout for `deadline`, counted from the start: a request still open then fails with
// "deadline: timed out". Creates the Runtime it needs, so none may exist when it is called.
// Returns when every request is done; a failing connection is a failed request, not an exception.
LoadRun run_load(const common::Endpoint& server, std::size_t requests, long delay_ms,
                 std::size_t executors, std::chrono::milliseconds deadline,
                 common::LoadTally& tally);

namespace detail {
// The size in bytes of one load request's coroutine frame — the object load mode keeps ten
// thousand of. Creates one request task without running it (tasks are lazy) and reads the size
// its promise's operator new was asked for (tests/test_frame_size.cpp prints and checks it).
std::size_t load_request_frame_size();
} // namespace detail

} // namespace ch05
