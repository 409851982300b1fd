// Load mode of ch01-threads: N requests at once, one OS thread each — the thread-per-request
// design at the scale where its costs show. It makes the requests; common/load.hpp counts them and
// prints the `summary:` line every chapter's load mode prints.
#pragma once

#include "small_stack_thread.hpp"

#include <common/load.hpp>
#include <common/net.hpp>

#include <chrono>
#include <cstddef>

namespace ch01 {

struct LoadPlan {
    common::Endpoint server;
    std::size_t requests = 100;
    long delay_ms = 1000;
    std::chrono::milliseconds deadline{31'000}; // each request's receive timeout
    std::size_t stack_bytes = kLoadStackBytes;  // per request thread; 0: the system default
};

// Starts one thread per request, each doing `GET /<delay_ms>/load-<i>` with http_get_raw and
// checking the body into `tally`; joins them all; returns the summary for common::finish_load.
//
// When a thread cannot be created (pthread_create fails: a thread, process or memory limit),
// no more are started, the ones already running are joined and counted as usual, and the
// requests never started are recorded in `tally` as one failure naming the cause. The program
// then prints the summary and an `error: load: ...` line — never a crash.
//
// summary.threads is the peak number of request threads at once plus one for the main thread,
// which is part of this design (it spawns and joins). Extra keys: spawn_ms (how long starting
// the threads took: the creation cost, paid before the last request is even sent), stack_kib
// (per thread) and vm_peak_kib (peak address space, where the stacks' reservation shows).
common::Summary run_load(const LoadPlan& plan, common::LoadTally& tally);

} // namespace ch01
