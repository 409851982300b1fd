// Load mode's runner for ch05-fibers: N requests, each a fiber on one chapter-4 executor, all
// sharing one Reactor — chapter 4's load mode with every request written as straight-line code.
// main.cpp calls it for --requests/--delay-ms and prints the summary; the tests call it against
// the delay server and the misbehaving servers. Counts into common::LoadTally.
#pragma once

#include <common/load.hpp>
#include <common/net.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace ch05::fibers {

struct LoadRun {
    std::uint64_t polls = 0;              // FiberTask polls (each resumes one fiber)
    std::chrono::milliseconds elapsed{0}; // first connect to last checked body (or the deadline)
    int threads = 0;                      // the executor (main thread) plus the reactor thread
    std::size_t stack_touched_max = 0;    // the most stack bytes touched (every 100th request;
                                          // a reused stack: by any fiber that ran on it)
};

// Makes `requests` concurrent `GET common::load_path(delay_ms, i)` to `server`, one fiber each
// with a `stack_bytes` stack, and checks every answer with `tally` (each request checked or failed
// exactly once, without printing). A request still open `deadline` after the start fails with
// "timed out". Throws only when the runtime itself cannot start; a failed connection is a failed
// request.
LoadRun run_load(const common::Endpoint& server, std::size_t requests, long delay_ms,
                 std::size_t stack_bytes, std::chrono::milliseconds deadline,
                 common::LoadTally& tally);

} // namespace ch05::fibers
