// Tests of the ch04-executor program, run as a child process: the demo's three parts (one task
// with two waits, one executor with five tasks, then several executors on their own threads), load
// mode's single summary line, and the error lines for a refused and a silent server. The child's
// end is awaited with a pidfd and poll(2), bounded, so even a hung program cannot hang the test.
#include "helpers.hpp"

#include <common/fd.hpp>
#include <common/test_support/child_process.hpp>
#include <common/test_support/misbehaving_server.hpp>
#include <common/test_support/program_contract.hpp>
#include <common/test_support/resources.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace {

using ch04::test::contains;
using namespace std::chrono_literals;

using Run = common::test::ChildRun;
using common::test::lines_of;

Run run_program(const std::vector<std::string>& args, std::chrono::milliseconds limit = 40s) {
    return common::test::run_child(CH04_PROGRAM_PATH, args, limit);
}

std::size_t count(const std::vector<std::string>& lines, std::string_view line) {
    return common::test::count_lines(lines, line);
}

TEST_CASE("the demo runs one task with two waits, one executor with five tasks, then three "
          "executors on their own threads, every request answered") {
    const std::size_t baseline = common::test::open_descriptor_count();
    const Run run = run_program({"--scale", "20"}); // delays 30 and 20 ms, then 0, 50, ..., 200
    INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
    CHECK(run.status == 0);
    CHECK(run.err.empty());
    const std::vector<std::string> lines = lines_of(run.out);
    REQUIRE(lines.size() > 10);
    CHECK(lines.front().starts_with("Using an embedded delay server on 127.0.0.1:"));

    const auto heading = [&lines](std::string_view start) {
        return std::find_if(lines.begin(), lines.end(),
                            [start](const std::string& l) { return l.starts_with(start); });
    };
    const auto part1 = heading("== Part 1");
    const auto part2 = heading("== Part 2");
    const auto part3 = heading("== Part 3");
    REQUIRE(part1 != lines.end());
    REQUIRE(part2 != lines.end());
    REQUIRE(part3 != lines.end());
    REQUIRE(part1 < part2);
    REQUIRE(part2 < part3);
    CHECK(contains(*part1, "b-reactor-executor"));
    CHECK(contains(*part2, "c-reactor-executor"));
    CHECK(contains(*part3, "3 executors"));
    CHECK(contains(*part3, "d-multiple-threads"));

    // Part 1: one coroutine, two waits: both answers in order, then one executor finishes.
    const std::vector<std::string> first(part1 + 1, part2);
    CHECK(count(first, "Program starting") == 1);
    CHECK(count(first, "FIRST POLL - START OPERATION") == 2);
    CHECK(count(first, "HelloAsyncAwait") == 2);
    CHECK(count(first, "main: All tasks are finished") == 1);
    // It slept while its one task waited: the executor parks with 1 pending task.
    CHECK(count(first, "main: 1 pending tasks. Sleep until notified.") >= 1);

    // Part 2: one executor; the answers come in the order of their delays.
    std::vector<std::string> answers;
    for (auto it = part2; it != part3; ++it) {
        if (it->starts_with("HelloWorld")) {
            answers.push_back(*it);
        }
    }
    CHECK(answers == std::vector<std::string>{"HelloWorld0", "HelloWorld1", "HelloWorld2",
                                              "HelloWorld3", "HelloWorld4"});
    // Parts 2 and 3: 1 + 3 executors, each runs async_main once and its five requests.
    CHECK(count(lines, "Program starting") == 1 + 4);
    CHECK(count(lines, "FIRST POLL - START OPERATION") == 2 + 20);
    for (int i = 0; i < 5; ++i) {
        CHECK(count(lines, "HelloWorld" + std::to_string(i)) == 4);
    }
    CHECK(count(lines, "main: All tasks are finished") == 3);
    CHECK(count(lines, "exec-1: All tasks are finished") == 1);
    CHECK(count(lines, "exec-2: All tasks are finished") == 1);
    // The executor parked at least once while requests were pending (how many are pending at its
    // first sleep varies: the 0 ms request may already be answered in its first poll).
    CHECK(std::any_of(part2, part3, [](const std::string& l) {
        return l.starts_with("main: ") && l.ends_with(" pending tasks. Sleep until notified.");
    }));
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("--executors sets how many executors the demo's third part runs") {
    const std::size_t baseline = common::test::open_descriptor_count();
    const Run run = run_program({"--scale", "40", "--executors", "2"});
    INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
    CHECK(run.status == 0);
    const std::vector<std::string> lines = lines_of(run.out);
    CHECK(count(lines, "Program starting") == 1 + 1 + 2); // parts 1, 2 and 3
    CHECK(count(lines, "exec-1: All tasks are finished") == 1);
    CHECK(count(lines, "exec-2: All tasks are finished") == 0);
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("load mode prints exactly one summary line, with threads and polls") {
    const std::size_t baseline = common::test::open_descriptor_count();
    const Run run = run_program({"--requests", "200", "--delay-ms", "50", "--executors", "2"});
    INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
    CHECK(run.status == 0);
    const std::vector<std::string> lines = lines_of(run.out);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].starts_with("summary: chapter=ch04 requests=200 delay_ms=50 ok=200 "));
    CHECK(contains(lines[0], " threads=3 ")); // two executors and the reactor thread
    CHECK(contains(lines[0], " polls="));
    CHECK_FALSE(contains(run.err, "error:"));
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("a refused server ends in the connect error and exit status 1, in both modes") {
    common::test::check_demo_refused(CH04_PROGRAM_PATH);
    common::test::check_load_refused(CH04_PROGRAM_PATH, "ch04");
}

TEST_CASE("a silent server ends by the runtime's timer in 'timed out' and exit status 1") {
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        common::test::MisbehavingServer silent(common::test::Misbehavior::Silent);
        const std::string where = silent.endpoint().to_string();

        const Run load = run_program({"--server", where, "--requests", "3", "--timeout-ms", "300"});
        INFO("load stdout:\n" << load.out << "\nload stderr:\n" << load.err);
        CHECK(load.status == 1);
        CHECK(contains(load.out, " ok=0 "));
        CHECK(contains(load.err, "error: load: 3 of 3 failed: request "));
        CHECK(contains(load.err, "timed out"));

        const Run demo = run_program({"--server", where, "--timeout-ms", "300"});
        INFO("demo stdout:\n" << demo.out << "\ndemo stderr:\n" << demo.err);
        CHECK(demo.status == 1);
        CHECK(lines_of(demo.err).size() == 1);
        CHECK(demo.err.starts_with("error: request: timed out"));
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

} // namespace
