// Implementation of runtime.hpp: the one place this chapter sleeps.
#include "runtime.hpp"

#include <common/print.hpp>
#include <common/trace.hpp>

#include <stdexcept>

namespace ch03 {

Runtime::Runtime(std::size_t events_capacity) : events_(events_capacity) {}

void Runtime::wait(Clock::time_point deadline) {
    const auto now = Clock::now();
    if (now >= deadline) {
        throw std::runtime_error("block_on: timed out");
    }
    if (announce_waits_) {
        common::println("Schedule other tasks");
    }
    // Round the time left *up*: rounding down would make the last wait return a little early, and
    // the loop would spin through a few zero-timeout waits before the deadline really passed.
    poll_.poll(events_, std::chrono::ceil<std::chrono::milliseconds>(deadline - now));
    ++wakes_;
    common::trace::wake(this, 0); // --trace: the wake, with an arrow to block_on's next poll
}

} // namespace ch03
