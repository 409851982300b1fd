// Tests of the ch04-executor program, run as a child process: the demo's two parts (one executor,
// then several on their own threads), load mode's single summary line, and the error lines for a
// refused and a silent server. The child's end is awaited with a pidfd and poll(2), bounded, so
// even a hung program cannot hang the test.
#include "helpers.hpp"

#include <common/fd.hpp>
#include <common/test_support/child_process.hpp>
#include <common/test_support/misbehaving_server.hpp>
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

TEST_CASE("the demo runs one executor, then three on their own threads, every request answered") {
    const std::size_t baseline = common::test::open_descriptor_count();
    const Run run = run_program({"--scale", "20"}); // delays 0, 50, ..., 200 ms
    INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
    CHECK(run.status == 0);
    CHECK(run.err.empty());
    const std::vector<std::string> lines = lines_of(run.out);
    REQUIRE(lines.size() > 10);
    CHECK(lines.front().starts_with("Using an embedded delay server on 127.0.0.1:"));

    const auto part2 = std::find_if(lines.begin(), lines.end(), [](const std::string& l) {
        return l.starts_with("== Part 2");
    });
    REQUIRE(part2 != lines.end());
    CHECK(contains(*part2, "3 executors"));
    // Part 1: one executor; the answers come in the order of their delays.
    std::vector<std::string> answers;
    for (auto it = lines.begin(); it != part2; ++it) {
        if (it->starts_with("HelloWorld")) {
            answers.push_back(*it);
        }
    }
    CHECK(answers == std::vector<std::string>{"HelloWorld0", "HelloWorld1", "HelloWorld2",
                                              "HelloWorld3", "HelloWorld4"});
    // Both parts: 1 + 3 executors, each runs async_main once and its five requests.
    CHECK(count(lines, "Program starting") == 4);
    CHECK(count(lines, "FIRST POLL - START OPERATION") == 20);
    for (int i = 0; i < 5; ++i) {
        CHECK(count(lines, "HelloWorld" + std::to_string(i)) == 4);
    }
    CHECK(count(lines, "main: All tasks are finished") == 2);
    CHECK(count(lines, "exec-1: All tasks are finished") == 1);
    CHECK(count(lines, "exec-2: All tasks are finished") == 1);
    // The executor parked at least once while requests were pending (how many are pending at its
    // first sleep varies: the 0 ms request may already be answered in its first poll).
    CHECK(std::any_of(lines.begin(), part2, [](const std::string& l) {
        return l.starts_with("main: ") && l.ends_with(" pending tasks. Sleep until notified.");
    }));
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("--executors sets how many executors the demo's second part runs") {
    const std::size_t baseline = common::test::open_descriptor_count();
    const Run run = run_program({"--scale", "40", "--executors", "2"});
    INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
    CHECK(run.status == 0);
    const std::vector<std::string> lines = lines_of(run.out);
    CHECK(count(lines, "Program starting") == 3);
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
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        common::test::RefusedPort refused;
        const std::string where = refused.endpoint().to_string();

        const Run load = run_program({"--server", where, "--requests", "5"});
        INFO("load stdout:\n" << load.out << "\nload stderr:\n" << load.err);
        CHECK(load.status == 1);
        CHECK(lines_of(load.out).size() == 1);
        CHECK(contains(load.out, " ok=0 "));
        CHECK(contains(load.err, "error: load: 5 of 5 failed: request "));
        CHECK(contains(load.err, "connect " + where + ": Connection refused"));

        const Run demo = run_program({"--server", where});
        INFO("demo stdout:\n" << demo.out << "\ndemo stderr:\n" << demo.err);
        CHECK(demo.status == 1);
        // One error line for the whole run, naming the first cause (not one line per task).
        CHECK(lines_of(demo.err).size() == 1);
        CHECK(demo.err.starts_with("error: connect " + where + ": Connection refused"));
    }
    CHECK(common::test::open_descriptor_count() == baseline);
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
