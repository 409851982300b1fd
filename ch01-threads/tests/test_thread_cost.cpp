// Tests of the thread-cost measurement (src/thread_cost.hpp) the demo's closing paragraph prints:
// the figures are real measurements of live threads, not constants.
#include "ch01-threads/src/thread_cost.hpp"

#include <doctest/doctest.h>

TEST_CASE("measuring thread cost sees each live thread's stack in the address space") {
    const ch01::ThreadCost cost = ch01::measure_thread_cost(32);
    CHECK(cost.threads == 32);
    CHECK(cost.create_each.count() > 0);
    // A std::thread gets the default stack (`ulimit -s`, or glibc's own default when unlimited).
    CHECK(cost.stack_kib >= 64);
    // No thread has ended in this process before, so no cached stack is reused: every live thread
    // adds at least its stack to the address space. (Half, to allow for rounding and for any
    // stack a runtime might have cached anyway.)
    CHECK(cost.virtual_kib_each >= cost.stack_kib / 2);
    CHECK(cost.resident_kib_each >= 0);
    CHECK(ch01::vm_peak_kib() > 0);
}

TEST_CASE("measuring zero threads returns zeros instead of waiting forever") {
    const ch01::ThreadCost cost = ch01::measure_thread_cost(0);
    CHECK(cost.threads == 0);
    CHECK(cost.create_each.count() == 0);
    CHECK(cost.virtual_kib_each == 0);
}
