// Tests of --trace on the ch04-executor program: the trace follows the trace-event format, every
// thread has its named track, and it shows what wakers bought over ch03 — every poll of a task
// after its first was caused by a wake of that very task, most of them handed over from the
// reactor thread to an executor thread.
#include <common/json.hpp>
#include <common/test_support/child_process.hpp>
#include <common/test_support/trace_check.hpp>

#include <doctest/doctest.h>

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
    const Value trace = common::test::run_traced(CH04_PROGRAM_PATH, {"--scale", "20"}, run);
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
        CH04_PROGRAM_PATH, {"--requests", "30", "--delay-ms", "50", "--executors", "3"}, run);
    INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
    CHECK(run.status == 0);
    CHECK(common::test::lines_of(run.out).size() == 1);
    CHECK(common::test::trace_format_problems(trace).empty());
    CHECK(thread_names(trace) == std::set<std::string>{"main", "reactor", "exec-1", "exec-2"});
    check_causal(trace);
}

TEST_CASE("the causal check catches a poll that no wake caused") {
    // Must be able to fail: task 2 is polled twice, and nothing woke it in between.
    const Value trace = common::json::parse(
        R"({"traceEvents":[)"
        R"({"ph":"X","name":"poll task 2: not ready","ts":1,"dur":1,"pid":1,"tid":1,)"
        R"("args":{"id":2,"result":"not ready"}},)"
        R"({"ph":"i","name":"wake task 3","ts":3,"pid":1,"tid":2,"args":{"id":3}},)"
        R"({"ph":"X","name":"poll task 2: ready","ts":6,"dur":2,"pid":1,"tid":1,)"
        R"("args":{"id":2,"result":"ready"}}]})");
    std::size_t polls = 0;
    std::size_t caused = 0;
    CHECK(common::test::wake_before_poll_problems(trace, polls, caused).size() == 1);
    CHECK(polls == 2);
    CHECK(caused == 0);
}

TEST_CASE("--trace to an unwritable path: the demo's output, then one error line, exit 1") {
    const common::test::ChildRun run = common::test::run_child(
        CH04_PROGRAM_PATH, {"--scale", "20", "--trace", "/nonexistent-dir/trace.json"});
    INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
    CHECK_FALSE(run.killed);
    CHECK(run.status == 1);
    CHECK(common::test::lines_of(run.out).size() > 10);
    CHECK(run.err == "error: trace /nonexistent-dir/trace.json: No such file or directory\n");
}
