// Tests of common/trace.hpp (the recorder behind --trace) and of --trace in run_program: nothing
// is recorded while it is off, what is recorded follows the trace-event format, a wake's arrow
// joins the waking thread to the poll it causes, and a file that cannot be written costs the run
// one `error:` line after its output, never its result.
#include "common/trace.hpp"

#include "common/cli.hpp"
#include "common/json.hpp"
#include "common/print.hpp"
#include "common/test_support/capture.hpp"
#include "common/test_support/trace_check.hpp"
#include "common/test_support/waker_trace.hpp"

#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdio>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace trace = common::trace;
using common::json::Value;

std::vector<const Value*> events_with(const Value& doc, const std::string& ph) {
    std::vector<const Value*> out;
    for (const Value& e : common::test::trace_events(doc)) {
        if (e.str("ph") == ph) {
            out.push_back(&e);
        }
    }
    return out;
}

// A scratch file name in the temporary directory, removed when the test ends.
struct TempPath {
    std::string path = "/tmp/trace-test-" + std::to_string(::getpid()) + ".json";
    ~TempPath() { std::remove(path.c_str()); }
};

const common::ProgramInfo kInfo{"ch99-test", "a program for the tests"};

} // namespace

TEST_CASE("tracing is off by default, and a hook called while it is off records nothing") {
    CHECK_FALSE(trace::enabled());
    const int queue = 0;
    trace::begin_poll(&queue, 1);
    trace::end_poll("task", 1, true);
    trace::wake(&queue, 1);
    trace::instant("timer fired", 2);
    trace::start();
    const Value doc = common::json::parse(trace::to_json("test"));
    CHECK(events_with(doc, "X").empty());
    CHECK(events_with(doc, "i").empty());
    CHECK(events_with(doc, "s").empty());
    trace::stop();
    CHECK_FALSE(trace::enabled());
}

TEST_CASE("a wake on one thread and the poll it causes on another are joined by one arrow") {
    trace::start();
    const int queue = 0;
    std::thread reactor([&] {
        trace::name_thread("reactor");
        trace::begin();
        trace::end_wait(1);
        trace::wake(&queue, 7);
    });
    reactor.join();
    trace::begin_poll(&queue, 7);
    trace::end_poll("task", 7, false);
    trace::stop();

    const Value doc = common::json::parse(trace::to_json("test"));
    CHECK(common::test::trace_format_problems(doc).empty());
    const auto starts = events_with(doc, "s");
    const auto ends = events_with(doc, "f");
    REQUIRE(starts.size() == 1);
    REQUIRE(ends.size() == 1);
    CHECK(starts[0]->num("id") == ends[0]->num("id"));
    CHECK(common::test::thread_name(doc, starts[0]->num("tid")) == "reactor");
    CHECK(common::test::thread_name(doc, ends[0]->num("tid")) == "main");
    CHECK(starts[0]->num("ts") <= ends[0]->num("ts"));

    const auto spans = events_with(doc, "X");
    REQUIRE(spans.size() == 2);
    std::vector<std::string> names;
    for (const Value* s : spans) {
        names.push_back(s->str("name"));
    }
    CHECK(std::count(names.begin(), names.end(), "epoll_wait: 1 events") == 1);
    CHECK(std::count(names.begin(), names.end(), "poll task 7: not ready") == 1);
}

TEST_CASE("nested spans close inside the span around them") {
    trace::start();
    trace::begin();
    trace::begin_poll(nullptr, 1);
    trace::end_poll("child", 1, true);
    trace::begin_poll(nullptr, 2);
    trace::end_poll("child", 2, false);
    trace::end_poll("block_on", 0, false);
    trace::stop();
    const Value doc = common::json::parse(trace::to_json("test"));
    CHECK(common::test::trace_format_problems(doc).empty());
    const auto spans = events_with(doc, "X");
    REQUIRE(spans.size() == 3);
    const Value* outer = spans.back();
    CHECK(outer->str("name") == "poll block_on 0: not ready");
    for (const Value* inner : {spans[0], spans[1]}) {
        CHECK(inner->num("ts") >= outer->num("ts"));
        CHECK(inner->num("ts") + inner->num("dur") <= outer->num("ts") + outer->num("dur"));
    }
}

TEST_CASE("a wake whose task is never polled again keeps its instant but leaves no half arrow") {
    trace::start();
    const int queue = 0;
    trace::wake(&queue, 3); // the task finished before this wake was handled: a false wakeup
    trace::stop();
    const Value doc = common::json::parse(trace::to_json("test"));
    CHECK(common::test::trace_format_problems(doc).empty());
    CHECK(events_with(doc, "i").size() == 1);
    CHECK(events_with(doc, "s").empty());
}

TEST_CASE("the format check finds a span without a duration and an arrow without its end") {
    // The check the chapters rely on must be able to fail.
    const Value doc = common::json::parse(
        R"({"traceEvents":[{"ph":"X","name":"a","ts":1,"pid":1,"tid":1},)"
        R"({"ph":"s","name":"w","id":4,"ts":1,"pid":1,"tid":1},{"ph":"i","ts":2,"pid":1}]})");
    const std::vector<std::string> problems = common::test::trace_format_problems(doc);
    CHECK(problems.size() == 4); // no dur, arrow 4 unended, no tid, thread 1 unnamed
}

TEST_CASE("write to a path that cannot be created says which file and why") {
    trace::start();
    trace::stop();
    try {
        trace::write("/nonexistent-dir/trace.json", "test");
        FAIL("write did not throw");
    } catch (const std::runtime_error& e) {
        CHECK(std::string(e.what()) ==
              "trace /nonexistent-dir/trace.json: No such file or directory");
    }
}

TEST_CASE("--trace writes the file after the run, and the run's output comes first") {
    const TempPath file;
    const char* argv[] = {"ch99-test", "--trace", file.path.c_str()};
    common::test::CapturedOutput out(STDOUT_FILENO);
    const int status = common::run_program(3, argv, kInfo, [](const common::Options& opts) {
        CHECK(opts.trace_file.has_value());
        CHECK(trace::enabled());
        trace::begin_poll(nullptr, 1);
        trace::end_poll("task", 1, true);
        common::println("summary: done");
        return 0;
    });
    CHECK(out.finish() == "summary: done\n");
    CHECK(status == 0);
    const Value doc = common::json::parse(common::test::read_file(file.path));
    CHECK(common::test::trace_format_problems(doc).empty());
    CHECK(events_with(doc, "X").size() == 1);
}

TEST_CASE("--trace to an unwritable path keeps the run's output and adds one error line, exit 1") {
    const char* argv[] = {"ch99-test", "--trace", "/nonexistent-dir/trace.json"};
    common::test::CapturedOutput out(STDOUT_FILENO);
    common::test::CapturedOutput err(STDERR_FILENO);
    const int status = common::run_program(3, argv, kInfo, [](const common::Options&) {
        common::println("summary: done");
        return 0;
    });
    const std::string errors = err.finish();
    CHECK(out.finish() == "summary: done\n");
    CHECK(status == 1);
    CHECK(errors == "error: trace /nonexistent-dir/trace.json: No such file or directory\n");
}

TEST_CASE("a failed run keeps its own error line first and still writes its trace") {
    const TempPath file;
    const char* argv[] = {"ch99-test", "--trace", file.path.c_str()};
    common::test::CapturedOutput err(STDERR_FILENO);
    const int status = common::run_program(3, argv, kInfo, [](const common::Options&) -> int {
        throw std::runtime_error("load: 1 of 1 failed: timed out");
    });
    CHECK(err.finish() == "error: load: 1 of 1 failed: timed out\n");
    CHECK(status == 1);
    CHECK(
        common::test::trace_format_problems(common::json::parse(common::test::read_file(file.path)))
            .empty());
}

TEST_CASE("--trace without a file name is a usage error") {
    const char* argv[] = {"ch99-test", "--trace="};
    CHECK_THROWS_WITH_AS(common::parse_options(2, argv, kInfo), "--trace: expected a file name",
                         common::UsageError);
}

TEST_CASE("the JSON reader reads what the recorder writes and rejects broken text") {
    const Value v = common::json::parse(R"( {"a":[1,-2.5e1,"x\"\u0041",true,null],"b":{}} )");
    REQUIRE(v.find("a") != nullptr);
    CHECK(v.find("a")->array.size() == 5);
    CHECK(v.find("a")->array[1].number == -25);
    CHECK(v.find("a")->array[2].string == "x\"A");
    for (const char* bad : {"", "{", "[1,]", "{\"a\" 1}", "\"open", "01x", "[1] 2", "tru"}) {
        CAPTURE(bad);
        CHECK_THROWS_AS(common::json::parse(bad), common::json::ParseError);
    }
}

TEST_CASE("the causal check catches a poll that no wake caused") {
    // ch04's and ch05's trace tests rest on this check, so it must be able to fail: task 2 is
    // polled twice, and nothing woke it in between (the wake is task 3's).
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
    CHECK(common::test::waker_rule_report(trace) ==
          "'poll task 2: ready' at 6.000000 us on thread 1.000000 was not caused by a wake of its "
          "task\nno poll was caused by a wake\n");
}
