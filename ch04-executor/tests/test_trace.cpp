// Tests of --trace on the ch04-executor program: the trace follows the trace-event format, every
// thread has its named track, and it shows what wakers bought over ch03 — every poll of a task
// after its first was caused by a wake of that very task, most of them handed over from the
// reactor thread to an executor thread. ch05 runs the same runtime, so the checks live in common's
// test support (waker_trace.hpp) and both chapters run them.
#include <common/test_support/waker_trace.hpp>

#include <doctest/doctest.h>

TEST_CASE("in the demo's trace, every poll of a task after its first follows a wake of it") {
    CHECK(common::test::waker_demo_trace_report(CH04_PROGRAM_PATH) == "");
}

TEST_CASE("in load mode over three executors, every poll after a task's first follows its wake") {
    CHECK(common::test::waker_load_trace_report(CH04_PROGRAM_PATH) == "");
}

TEST_CASE("--trace to an unwritable path: the demo's output, then one error line, exit 1") {
    CHECK(common::test::unwritable_trace_report(CH04_PROGRAM_PATH, {"--scale", "20"}, 10) == "");
}
