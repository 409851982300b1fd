// Tests of --trace on the ch04-executor program with `--reactor uring`: the same picture as on the
// epoll reactor (test_trace.cpp), drawn by the UringReactor's hooks. Its thread has the "reactor"
// track, each io_uring_enter it sleeps in is a wait span with the completions it returned, and
// every poll of a task after its first follows a wake of that task — most of them handed over from
// the reactor thread, which takes the completions, to an executor thread.
#include "ch02-epoll-reactor/tests/ring_support.hpp"

#include <common/json.hpp>
#include <common/test_support/child_process.hpp>
#include <common/test_support/trace_check.hpp>
#include <common/test_support/waker_trace.hpp>

#include <doctest/doctest.h>

#include <set>
#include <string>
#include <vector>

namespace {

using common::json::Value;

// The reactor thread's waits: spans "io_uring_enter: N completions" of category "wait". Returns
// how many there are and, in `completions`, the sum of their N.
std::size_t ring_waits(const Value& trace, double& completions) {
    std::size_t waits = 0;
    completions = 0;
    for (const Value& event : common::test::trace_events(trace)) {
        const Value* category = event.find("cat");
        if (event.str("ph") != "X" || category == nullptr || category->string != "wait") {
            continue;
        }
        CHECK(common::test::thread_name(trace, event.num("tid")) == "reactor");
        CHECK(event.str("name").rfind("io_uring_enter: ", 0) == 0);
        const Value* args = event.find("args");
        REQUIRE(args != nullptr);
        completions += args->num("completions");
        ++waits;
    }
    return waits;
}

// What both runs below must show: a well-formed trace with the demo's tracks, the causal rule
// (common's waker_rule_report), and waits that are io_uring_enter spans on the reactor's track.
// Returns the completions the waits returned, summed.
double check_uring_trace(const Value& trace) {
    CHECK(common::test::trace_format_problems(trace).empty());
    CHECK(common::test::thread_names(trace) ==
          std::set<std::string>{"main", "reactor", "exec-1", "exec-2"});
    CHECK(common::test::waker_rule_report(trace) == "");
    double completions = 0;
    CHECK(ring_waits(trace, completions) > 0);
    return completions;
}

} // namespace

TEST_CASE("uring trace: in the demo, the reactor's waits are io_uring_enter spans, and every "
          "poll of a task after its first follows a wake of it") {
    if (ch02::test::skip_without_ring(ch02::test::Needs::Multishot)) {
        return;
    }
    common::test::ChildRun run;
    const Value trace =
        common::test::run_traced(CH04_PROGRAM_PATH, {"--reactor", "uring", "--scale", "20"}, run);
    INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
    CHECK(run.status == 0);
    CHECK(check_uring_trace(trace) > 0);
    // Each request's answer, at least, is a completion the reactor thread hands to a task.
    CHECK(common::test::reactor_handoffs(trace) >= 5 * 3);
}

TEST_CASE("uring trace: in load mode over three executors, every poll after a task's first "
          "follows its wake") {
    if (ch02::test::skip_without_ring(ch02::test::Needs::Multishot)) {
        return;
    }
    common::test::ChildRun run;
    const Value trace = common::test::run_traced(
        CH04_PROGRAM_PATH,
        {"--reactor", "uring", "--requests", "30", "--delay-ms", "50", "--executors", "3"}, run);
    INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
    CHECK(run.status == 0);
    CHECK(common::test::lines_of(run.out).size() == 1);
    // Every request's answer and end of stream, at least: 30 receive completions.
    CHECK(check_uring_trace(trace) >= 30);
}
