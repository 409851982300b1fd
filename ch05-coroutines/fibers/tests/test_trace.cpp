// Tests of --trace on the ch05-fibers program: the file follows the trace-event format, every run
// of a fiber (from the switch into it to the switch out of it) is a span, and a FiberTask's fiber
// runs only inside a poll of its own task, on the thread that polls it — the picture
// fibers/README.md describes (a fiber is driven by a chapter-4 future).
#include <common/json.hpp>
#include <common/test_support/child_process.hpp>
#include <common/test_support/trace_check.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace {

using common::json::Value;

struct Span {
    std::string task; // the task id in the name ("3" for "poll task 3: ready")
    double tid;
    double from;
    double to;
};

// The spans named "<prefix><id>..." (the id runs to the first ':' or the end).
std::vector<Span> spans(const Value& trace, std::string_view prefix) {
    std::vector<Span> found;
    for (const Value& e : common::test::trace_events(trace)) {
        const std::string& name = e.str("name");
        if (e.str("ph") != "X" || !name.starts_with(prefix)) {
            continue;
        }
        const std::string rest = name.substr(prefix.size());
        found.push_back(Span{rest.substr(0, rest.find(':')), e.num("tid"), e.num("ts"),
                             e.num("ts") + e.num("dur")});
    }
    return found;
}

std::size_t count_named(const Value& trace, std::string_view name) {
    const auto& events = common::test::trace_events(trace);
    return static_cast<std::size_t>(
        std::count_if(events.begin(), events.end(),
                      [&](const Value& e) { return e.str("ph") == "X" && e.str("name") == name; }));
}

// How many fiber spans do not lie inside a poll span of their own task on their own thread.
std::size_t fibers_outside_their_polls(const std::vector<Span>& fibers,
                                       const std::vector<Span>& polls) {
    std::size_t outside = 0;
    for (const Span& f : fibers) {
        outside += std::none_of(polls.begin(), polls.end(), [&](const Span& p) {
            return p.task == f.task && p.tid == f.tid && p.from <= f.from && f.to <= p.to;
        });
    }
    return outside;
}

} // namespace

TEST_CASE("in the demo's trace, every fiber runs inside a poll of its own task") {
    common::test::ChildRun run;
    const Value trace = common::test::run_traced(CH05_FIBERS_PROGRAM_PATH, {"--scale", "20"}, run);
    INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
    CHECK(run.status == 0);
    const auto problems = common::test::trace_format_problems(trace);
    for (const std::string& p : problems) {
        MESSAGE(p);
    }
    CHECK(problems.empty());
    CHECK(common::test::thread_names(trace) == std::set<std::string>{"main", "reactor"});

    // Part 5: the first task (which spawns) and the five request fibers, each run at least once,
    // each run inside a poll of its task.
    const std::vector<Span> fibers = spans(trace, "fiber of task ");
    const std::vector<Span> polls = spans(trace, "poll task ");
    std::set<std::string> tasks;
    for (const Span& f : fibers) {
        tasks.insert(f.task);
    }
    CHECK(tasks.size() == 6);
    // The first run of each, and one more per request for its answer, except that request 0 asks
    // for a delay of 0 ms: its answer can be back before its first run's read, and then that one
    // run is all it needs.
    CHECK(fibers.size() >= 1 + 1 + 4 * 2);
    CHECK(fibers_outside_their_polls(fibers, polls) == 0);

    // Part 3: the book's two counting threads run once per turn (thread 1 yields 10 times,
    // thread 2 15 times: 11 and 16 runs), and part 4's closures add theirs.
    CHECK(count_named(trace, "green thread 1") >= 11);
    CHECK(count_named(trace, "green thread 2") >= 16);
}

TEST_CASE("in load mode's trace, each poll of a task runs its fiber exactly once, inside it") {
    common::test::ChildRun run;
    const Value trace = common::test::run_traced(CH05_FIBERS_PROGRAM_PATH,
                                                 {"--requests", "40", "--delay-ms", "50"}, run);
    INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
    CHECK(run.status == 0);
    CHECK(common::test::lines_of(run.out).size() == 1);
    CHECK(common::test::trace_format_problems(trace).empty());
    const std::vector<Span> fibers = spans(trace, "fiber of task ");
    const std::vector<Span> polls = spans(trace, "poll task ");
    // The first task is polled once (it spawns the requests and ends); every request at least
    // twice: to start, and when its answer has come.
    CHECK(polls.size() >= 1 + 40 * 2);
    CHECK(fibers.size() == polls.size());
    CHECK(fibers_outside_their_polls(fibers, polls) == 0);
    std::size_t polled = 0;
    std::size_t caused = 0;
    CHECK(common::test::wake_before_poll_problems(trace, polled, caused).empty());
    CHECK(caused >= 40);
}

TEST_CASE("--trace to an unwritable path: load mode's summary, then one error line, exit 1") {
    const common::test::ChildRun run = common::test::run_child(
        CH05_FIBERS_PROGRAM_PATH,
        {"--requests", "5", "--delay-ms", "10", "--trace", "/nonexistent-dir/trace.json"});
    INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
    CHECK_FALSE(run.killed);
    CHECK(run.status == 1);
    CHECK(common::test::lines_of(run.out).size() == 1);
    // The embedded delay server's notice comes first; the error is the last line.
    CHECK(run.err.ends_with("\nerror: trace /nonexistent-dir/trace.json: No such file or "
                            "directory\n"));
}
