// Tests of --trace on the ch03-leaf-futures program: the trace follows the trace-event format,
// and it shows this chapter's cost — join_all cannot know which child an event was for, so after
// every wake from epoll_wait it polls every child that has not finished.
#include <common/json.hpp>
#include <common/test_support/child_process.hpp>
#include <common/test_support/trace_check.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

namespace {

using common::json::Value;

// Checks, from `since` on, that the first round and every round after a wake poll exactly the
// join_all children still unfinished, `children` of them at first. Returns the number of wakes
// checked; adds one line per broken round to `problems`.
std::size_t check_rounds(const Value& trace, double since, int children,
                         std::vector<std::string>& problems) {
    std::vector<const Value*> events;
    for (const Value& e : common::test::trace_events(trace)) {
        const std::string& ph = e.str("ph");
        if (ph == "M" || e.num("ts") < since) {
            continue;
        }
        const std::string& name = e.str("name");
        if ((ph == "i" && name.starts_with("wake task")) ||
            (ph == "X" && name.starts_with("poll join_all child "))) {
            events.push_back(&e);
        }
    }
    std::sort(events.begin(), events.end(),
              [](const Value* a, const Value* b) { return a->num("ts") < b->num("ts"); });
    std::set<int> unfinished;
    for (int i = 0; i < children; ++i) {
        unfinished.insert(i);
    }
    std::size_t wakes = 0;
    std::set<int> polled;
    std::set<int> became_ready;
    const auto close_round = [&] {
        if (polled != unfinished) {
            problems.push_back("a round polled " + std::to_string(polled.size()) + " children, " +
                               std::to_string(unfinished.size()) + " were unfinished");
        }
        for (const int i : became_ready) {
            unfinished.erase(i);
        }
        polled.clear();
        became_ready.clear();
    };
    bool started = false;
    for (const Value* e : events) {
        if (e->str("ph") == "i") {
            if (started) {
                close_round();
                ++wakes;
            }
            if (unfinished.empty()) {
                break;
            }
            continue;
        }
        started = true;
        const int child = static_cast<int>(e->find("args")->num("id"));
        polled.insert(child);
        if (e->find("args")->str("result") == "ready") {
            became_ready.insert(child);
        }
    }
    if (!polled.empty()) {
        close_round();
    }
    if (!unfinished.empty()) {
        problems.push_back(std::to_string(unfinished.size()) + " children never became ready");
    }
    return wakes;
}

} // namespace

TEST_CASE("in the demo's join_all, every wake is followed by polls of every unfinished child") {
    common::test::ChildRun run;
    const Value trace = common::test::run_traced(CH03_PROGRAM_PATH, {}, run);
    INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
    CHECK(run.status == 0);
    CHECK(common::test::trace_format_problems(trace).empty());
    double part_3b = -1;
    for (const Value& e : common::test::trace_events(trace)) {
        if (e.str("ph") == "i" && e.str("name").starts_with("Part 3b")) {
            part_3b = e.num("ts");
        }
    }
    REQUIRE(part_3b >= 0);
    std::vector<std::string> problems;
    const std::size_t wakes = check_rounds(trace, part_3b, 5, problems);
    for (const std::string& p : problems) {
        MESSAGE(p);
    }
    CHECK(problems.empty());
    CHECK(wakes >= 1); // five answers 100 ms apart: several wakes (exactly how many is timing)
}

TEST_CASE("in load mode too, each wake polls every unfinished request") {
    common::test::ChildRun run;
    const Value trace =
        common::test::run_traced(CH03_PROGRAM_PATH, {"--requests", "10", "--delay-ms", "50"}, run);
    INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
    CHECK(run.status == 0);
    CHECK(common::test::lines_of(run.out).size() == 1);
    CHECK(common::test::trace_format_problems(trace).empty());
    std::vector<std::string> problems;
    check_rounds(trace, 0, 10, problems);
    for (const std::string& p : problems) {
        MESSAGE(p);
    }
    CHECK(problems.empty());
}

TEST_CASE("the round check catches a join_all that skips an unfinished child") {
    // The check above must be able to fail: here the wake is followed by a poll of child 0 only,
    // although child 1 is unfinished too.
    const Value trace = common::json::parse(
        R"({"traceEvents":[)"
        R"({"ph":"X","name":"poll join_all child 0: not ready","ts":1,"dur":1,"pid":1,"tid":1,)"
        R"("args":{"id":0,"result":"not ready"}},)"
        R"({"ph":"X","name":"poll join_all child 1: not ready","ts":3,"dur":1,"pid":1,"tid":1,)"
        R"("args":{"id":1,"result":"not ready"}},)"
        R"({"ph":"i","name":"wake task 0","ts":5,"pid":1,"tid":1,"args":{"id":0}},)"
        R"({"ph":"X","name":"poll join_all child 0: ready","ts":6,"dur":1,"pid":1,"tid":1,)"
        R"("args":{"id":0,"result":"ready"}}]})");
    std::vector<std::string> problems;
    check_rounds(trace, 0, 2, problems);
    CHECK(problems.size() == 2); // the short round, and child 1 never ready
}

TEST_CASE("--trace to an unwritable path: load mode's summary, then one error line, exit 1") {
    const common::test::ChildRun run =
        common::test::run_child(CH03_PROGRAM_PATH, {"--requests", "3", "--delay-ms", "10",
                                                    "--trace", "/nonexistent-dir/trace.json"});
    INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
    CHECK_FALSE(run.killed);
    CHECK(run.status == 1);
    const auto out = common::test::lines_of(run.out);
    REQUIRE(out.size() == 1);
    CHECK(out[0].starts_with("summary: chapter=ch03 requests=3"));
    const auto err = common::test::lines_of(run.err); // after the embedded server's line
    REQUIRE_FALSE(err.empty());
    CHECK(err.back() == "error: trace /nonexistent-dir/trace.json: No such file or directory");
}
