// Tests of --trace on the ch02-epoll-reactor program: the trace follows the trace-event format,
// every epoll_wait is a span that says how many events it returned, every answer shows up as an
// event, and a trace that cannot be written costs one error line after the run's output.
#include <common/json.hpp>
#include <common/test_support/child_process.hpp>
#include <common/test_support/trace_check.hpp>

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace {

using common::json::Value;

std::vector<std::string> names_of(const Value& trace, const std::string& ph) {
    std::vector<std::string> out;
    for (const Value& e : common::test::trace_events(trace)) {
        if (e.str("ph") == ph) {
            out.push_back(e.str("name"));
        }
    }
    return out;
}

} // namespace

TEST_CASE("--trace records the demo's waits in epoll_wait and one event per answer") {
    common::test::ChildRun run;
    const Value trace = common::test::run_traced(CH02_PROGRAM_PATH, {"--scale", "20"}, run);
    INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
    CHECK(run.status == 0);
    CHECK(common::test::trace_format_problems(trace).empty());
    long events_returned = 0;
    for (const std::string& name : names_of(trace, "X")) {
        if (name.starts_with("epoll_wait: ")) {
            events_returned += std::stol(name.substr(12));
        }
    }
    std::size_t answers = 0;
    for (const std::string& name : names_of(trace, "i")) {
        answers += name.starts_with("event for token ") ? 1 : 0;
    }
    CHECK(answers >= 5); // each of the five sockets becomes readable at least once
    CHECK(events_returned == static_cast<long>(answers)); // every event returned was handled
}

TEST_CASE("--trace in load mode keeps stdout to the one summary line") {
    common::test::ChildRun run;
    const Value trace =
        common::test::run_traced(CH02_PROGRAM_PATH, {"--requests", "20", "--delay-ms", "50"}, run);
    INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
    CHECK(run.status == 0);
    const auto lines = common::test::lines_of(run.out);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].starts_with("summary: chapter=ch02 requests=20"));
    CHECK(common::test::trace_format_problems(trace).empty());
    CHECK(!names_of(trace, "X").empty());
}

TEST_CASE("--trace to an unwritable path: the demo's output, then one error line, exit 1") {
    const common::test::ChildRun run = common::test::run_child(
        CH02_PROGRAM_PATH, {"--scale", "20", "--trace", "/nonexistent-dir/trace.json"});
    INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
    CHECK_FALSE(run.killed);
    CHECK(run.status == 1);
    const auto out = common::test::lines_of(run.out);
    REQUIRE_FALSE(out.empty());
    CHECK(out.back() == "FINISHED");
    CHECK(run.err == "error: trace /nonexistent-dir/trace.json: No such file or directory\n");
}
