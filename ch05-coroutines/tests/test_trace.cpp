// Tests of --trace on the ch05-coroutines program: the same runtime as ch04 under coroutines, so
// the same rules hold in its trace (named tracks, every poll after a task's first caused by a wake
// of it, wakes handed over from the reactor thread), and every coroutine resumption shows up as a
// span inside the poll of the task that resumed it. The checks ch04's trace tests make too live in
// common's test support (waker_trace.hpp); this file adds the resumptions.
#include <common/json.hpp>
#include <common/test_support/child_process.hpp>
#include <common/test_support/trace_check.hpp>
#include <common/test_support/waker_trace.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

using common::json::Value;

TEST_CASE("in the demo's trace, every poll of a task after its first follows a wake of it") {
    CHECK(common::test::waker_demo_trace_report(CH05_PROGRAM_PATH) == "");
}

TEST_CASE("in load mode over three executors, every poll after a task's first follows its wake") {
    CHECK(common::test::waker_load_trace_report(CH05_PROGRAM_PATH) == "");
}

TEST_CASE("every coroutine resumption in the demo happens inside a poll of its task") {
    common::test::ChildRun run;
    const Value trace = common::test::run_traced(CH05_PROGRAM_PATH, {"--scale", "20"}, run);
    INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
    REQUIRE(run.status == 0);
    struct Interval {
        double tid;
        double from;
        double to;
    };
    std::vector<Interval> polls;
    std::vector<Interval> resumes;
    for (const Value& e : common::test::trace_events(trace)) {
        if (e.str("ph") != "X") {
            continue;
        }
        const Interval i{e.num("tid"), e.num("ts"), e.num("ts") + e.num("dur")};
        if (e.str("name").starts_with("poll task ")) {
            polls.push_back(i);
        } else if (e.str("name") == "resume coroutine") {
            resumes.push_back(i);
        }
    }
    CHECK(resumes.size() >= polls.size() / 2); // most polls resume a coroutine
    std::size_t outside = 0;
    for (const Interval& r : resumes) {
        outside += std::none_of(polls.begin(), polls.end(), [&](const Interval& p) {
            return p.tid == r.tid && p.from <= r.from && r.to <= p.to;
        });
    }
    CHECK(outside == 0);
}

TEST_CASE("--trace to an unwritable path: the demo's output, then one error line, exit 1") {
    CHECK(common::test::unwritable_trace_report(CH05_PROGRAM_PATH, {"--scale", "20"}, 10) == "");
}
