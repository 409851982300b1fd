// The demo's completion-model twin: the same five requests as the epoll demo (main.cpp), answered
// in reverse order, but every connect, send and recv is an operation submitted to a Ring
// (ring.hpp), and what the loop prints is each *completion* as it arrives.
//
// The difference to watch in the output. The epoll demo is told "token 3 is readable" and then
// calls read() itself. Here nobody calls read(): the recv was submitted up front with a buffer,
// the kernel did the read into that buffer, and the completion says how many bytes are in it.
// main.cpp runs it with `--reactor uring`; the tests call it directly.
#pragma once

#include <common/net.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string_view>

namespace ch02 {

struct RingDemoResult {
    std::uint64_t enter_calls = 0; // io_uring_enter system calls the whole run made
};

// Runs the five requests against `server` (delays 5000, 4000, ... 1000 ms divided by `scale`), all
// on one thread and one Ring, printing to `sink`. Throws std::runtime_error "request-3: <why>"
// when an operation fails or a response is wrong, "... timed out" after `deadline`, and
// RingUnavailable when the kernel refuses io_uring. Every operation still in flight when it
// throws is cancelled and its completion awaited before the buffers are freed.
RingDemoResult run_ring_demo(const common::Endpoint& server, long scale,
                             std::chrono::milliseconds deadline,
                             const std::function<void(std::string_view)>& sink);

} // namespace ch02
