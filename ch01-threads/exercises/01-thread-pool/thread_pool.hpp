// Exercise ch01/01: a pool of K threads for N requests. Between the chapter's two runners — one
// thread for everything (time = the sum of the delays) and one thread per request (time = the
// largest delay, memory = N stacks) — sits the usual compromise: a fixed number of threads that
// take the next request whenever they are free. This header is the interface the tests call; write
// the body in thread_pool.cpp.
#pragma once

#include "ch01-threads/src/request_runners.hpp"

#include <common/net.hpp>

#include <chrono>
#include <cstddef>
#include <span>

namespace ch01::exercise {

// Makes every request with at most `workers` threads (fewer when there are fewer requests). Each
// worker takes the next request nobody has taken yet, makes it with ch01::http_get, records the
// Answer, and takes the next, until none is left. A failing request is stored in its Answer (as
// fetch_with_threads does) and does not stop the others.
//
// The report: one Answer per request, in arrival order; threads_created = worker threads started;
// peak_threads = most threads making a request at once, plus the calling thread.
// Throws std::invalid_argument when `workers` is 0.
RunReport fetch_with_pool(const common::Endpoint& server, std::span<const Request> requests,
                          std::size_t workers, std::chrono::milliseconds deadline);

} // namespace ch01::exercise
