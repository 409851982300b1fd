// Tests of the ch05-fibers program, run as a child process: the demo's five parts and their
// output, load mode's summary line, a stack overflow ending in the clear error line, and bad
// command lines.
#include <common/test_support/child_process.hpp>
#include <common/test_support/resources.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

namespace {

using common::test::contains;
using common::test::count_lines;
using common::test::lines_of;
using namespace std::chrono_literals;

common::test::ChildRun run_program(const std::vector<std::string>& args) {
    return common::test::run_child(CH05_FIBERS_PROGRAM_PATH, args, 40s);
}

TEST_CASE("the demo runs the book's four fiber examples, then five requests as fibers") {
    const common::test::ChildRun run = run_program({"--scale", "20"});
    INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
    CHECK(run.status == 0);
    CHECK(run.err.empty());
    const std::vector<std::string> lines = lines_of(run.out);
    CHECK(count_lines(lines, "I LOVE WAKING UP ON A NEW STACK!") == 2); // parts 1 and 2
    CHECK(count_lines(lines, "THREAD 1 STARTING") == 1);
    CHECK(count_lines(lines, "THREAD 2 FINISHED") == 1);
    CHECK(count_lines(lines, "thread: 1 counter: 9") == 1);
    CHECK(count_lines(lines, "thread: 2 counter: 14") == 1);
    CHECK(count_lines(lines, "nested closure: runs on its own 64 KiB stack") == 1);
    std::vector<std::string> answers;
    std::copy_if(lines.begin(), lines.end(), std::back_inserter(answers),
                 [](const std::string& l) { return l.starts_with("HelloWorld"); });
    CHECK(answers == std::vector<std::string>{"HelloWorld0", "HelloWorld1", "HelloWorld2",
                                              "HelloWorld3", "HelloWorld4"});
    CHECK(count_lines(lines, "FIRST POLL - START OPERATION") == 5);
}

TEST_CASE("load mode prints one summary line with the stack size") {
    const common::test::ChildRun run =
        run_program({"--requests", "200", "--delay-ms", "100", "--stack-kib", "32"});
    INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
    CHECK(run.status == 0);
    const std::vector<std::string> lines = lines_of(run.out);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].starts_with("summary: chapter=ch05-fibers requests=200 delay_ms=100 ok=200 "));
    CHECK(contains(lines[0], " stack_kib=32"));
    CHECK(contains(lines[0], " stack_touched_kib="));
}

TEST_CASE("running off the end of a fiber's stack is one clear error line and exit status 1") {
    const common::test::ChildRun run = run_program({"--stack-kib", "16", "--overflow-kib", "64"});
    INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
    CHECK(run.status == 1);
    CHECK_FALSE(run.killed);
    CHECK(run.err == "error: fiber stack overflow (16 KiB stack)\n");
}

TEST_CASE("recursion that fits the stack runs normally") {
    const common::test::ChildRun run = run_program({"--stack-kib", "64", "--overflow-kib", "8"});
    INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
    CHECK(run.status == 0);
    CHECK(run.err.empty());
}

TEST_CASE("bad command lines are one error line and exit status 1") {
    for (const std::vector<std::string>& args : {std::vector<std::string>{"--stack-kib", "2"},
                                                 {"--stack-kib", "lots"},
                                                 {"--pool-stacks", "-1"},
                                                 {"--bogus"}}) {
        CAPTURE(args.front());
        const common::test::ChildRun run = run_program(args);
        CHECK(run.status == 1);
        CHECK(run.err.starts_with("error: "));
        CHECK(count_lines(lines_of(run.err), "") == 0);
        CHECK(lines_of(run.err).size() == 1);
    }
    const common::test::ChildRun help = run_program({"--help"});
    CHECK(help.status == 0);
    CHECK(contains(help.out, "--stack-kib"));
    CHECK(contains(help.out, "--pool-stacks"));
}

} // namespace
