// Load mode's runner: N request tasks spread over one or more executors (the main thread plus
// worker threads), all sharing one Reactor — chapter 2's load client rebuilt on this chapter's
// runtime. main.cpp calls it for --requests/--delay-ms and prints the summary; the tests call it
// against the delay server and misbehaving servers. Sits on top of executor.hpp, reactor.hpp,
// http_get_future.hpp and sleep.hpp; counts into common::LoadTally.
#pragma once

#include "ch02-epoll-reactor/src/reactor_flag.hpp"

#include <common/load.hpp>
#include <common/net.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace ch04 {

struct LoadRun {
    // Task polls over all executors: one per executor for the task that spawns the requests, then
    // about two per request (the first poll, and the one after the answer's edge). Chapter 3 polled
    // every request on every wake; this figure is what shows the waker's worth.
    std::uint64_t polls = 0;
    std::chrono::milliseconds elapsed{0}; // first connect to last checked body (or the deadline)
    int threads = 0;                      // executors (main thread included) plus the reactor
    // Uring only (0 under epoll): the system calls the UringReactor and its futures made —
    // io_uring_enter, eventfd wakes, socket and close (uring_reactor.hpp).
    std::uint64_t syscalls = 0;
};

// Makes `requests` concurrent `GET common::load_path(delay_ms, i)` to `server`, request i on
// executor i % executors, and checks every answer with `tally` (each request is checked or failed
// exactly once, without printing). Every request carries a timer for `deadline`, counted from the
// start: a request still open then fails with "timed out". Returns when every request is done;
// throws only when the runtime itself cannot start (no thread, no epoll instance). A failing
// connection is a failed request, not an exception. `reactor`: the epoll Reactor (the book's) or
// the UringReactor; the executors are the same either way.
LoadRun run_load(const common::Endpoint& server, std::size_t requests, long delay_ms,
                 std::size_t executors, std::chrono::milliseconds deadline,
                 common::LoadTally& tally, ch02::ReactorKind reactor = ch02::ReactorKind::Epoll);

} // namespace ch04
