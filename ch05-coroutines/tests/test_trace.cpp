// Tests of --trace on the ch05-coroutines program: the same runtime as ch04 under coroutines, so
// the same rules hold in its trace (named tracks, every poll after a task's first caused by a wake
// of it, wakes handed over from the reactor thread), and every coroutine resumption shows up as a
// span inside the poll of the task that resumed it.
#include <common/json.hpp>
#include <common/test_support/child_process.hpp>
#include <common/test_support/trace_check.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace {

using common::json::Value;

using common::test::thread_names;

void check_causal(const Value& trace) {
    std::size_t polls = 0;
    std::size_t caused = 0;
    const auto problems = common::test::wake_before_poll_problems(trace, polls, caused);
    for (const std::string& p : problems) {
        MESSAGE(p);
    }
    CHECK(problems.empty());
    CHECK(caused > 0);
    CHECK(polls > caused); // the first polls, which spawn queued
}

} // namespace

TEST_CASE("in the demo's trace, every poll of a task after its first follows a wake of it") {
    common::test::ChildRun run;
    const Value trace = common::test::run_traced(CH05_PROGRAM_PATH, {"--scale", "20"}, run);
    INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
    CHECK(run.status == 0);
    CHECK(common::test::trace_format_problems(trace).empty());
    CHECK(thread_names(trace) == std::set<std::string>{"main", "reactor", "exec-1", "exec-2"});
    check_causal(trace);
    CHECK(common::test::reactor_handoffs(trace) >=
          5 * 3); // each request's answer, at least, comes from the reactor
}

TEST_CASE("in load mode over three executors, every poll after a task's first follows its wake") {
    common::test::ChildRun run;
    const Value trace = common::test::run_traced(
        CH05_PROGRAM_PATH, {"--requests", "30", "--delay-ms", "50", "--executors", "3"}, run);
    INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
    CHECK(run.status == 0);
    CHECK(common::test::lines_of(run.out).size() == 1);
    CHECK(common::test::trace_format_problems(trace).empty());
    // Load mode names its executors as the demo does: main, exec-1, exec-2.
    CHECK(thread_names(trace) == std::set<std::string>{"main", "reactor", "exec-1", "exec-2"});
    check_causal(trace);
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
    const common::test::ChildRun run = common::test::run_child(
        CH05_PROGRAM_PATH, {"--scale", "20", "--trace", "/nonexistent-dir/trace.json"});
    INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
    CHECK_FALSE(run.killed);
    CHECK(run.status == 1);
    CHECK(common::test::lines_of(run.out).size() > 10);
    CHECK(run.err == "error: trace /nonexistent-dir/trace.json: No such file or directory\n");
}
