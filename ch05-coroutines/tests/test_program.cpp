// Tests of the program itself, run as a child process: the demo's four parts print what they
// should (join_all's results in the order asked), load mode prints exactly one summary line, and a
// silent or refusing server ends in one `error:` line with exit status 1. The child's end is
// awaited with a pidfd in a ch02 Poll, so even a hung program cannot hang this.
#include "ch02-epoll-reactor/src/poll.hpp"

#include <common/fd.hpp>
#include <common/test_support/child_process.hpp>
#include <common/test_support/misbehaving_server.hpp>
#include <common/test_support/program_contract.hpp>
#include <common/test_support/resources.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace {

using Finished = common::test::ChildRun;
using common::test::contains;
using common::test::count_lines;
using common::test::lines_of;

Finished run_program(const std::vector<std::string>& args,
                     std::chrono::milliseconds limit = std::chrono::seconds(30)) {
    return common::test::run_child(CH05_PROGRAM_PATH, args, limit);
}

} // namespace

TEST_CASE("the demo runs its four parts: two awaits in a row, spawned tasks, join_all in order, "
          "several executors") {
    const auto baseline = common::test::open_descriptor_count();
    const Finished run = run_program({"--scale", "20", "--executors", "2"});
    INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
    CHECK(run.status == 0);
    CHECK(run.err.empty());
    const auto lines = lines_of(run.out);
    REQUIRE(!lines.empty());
    CHECK(lines.front().starts_with("Using an embedded delay server on 127.0.0.1:"));
    CHECK(count_lines(lines, "HelloAsyncAwait") == 2);
    // Part 2 once, part 4 on each of the two executors.
    for (int i = 0; i < 5; ++i) {
        CHECK(count_lines(lines, "HelloWorld" + std::to_string(i)) == 3);
    }
    CHECK(count_lines(lines, "Program starting") == 5);
    CHECK(count_lines(lines, "FIRST POLL - START OPERATION") == 2 + 5 + 5 + 10);
    // join_all: the answers arrive last-asked-first, the results come back in the order asked.
    const auto arrived4 = std::find(lines.begin(), lines.end(), "arrived: Joined4");
    const auto arrived0 = std::find(lines.begin(), lines.end(), "arrived: Joined0");
    CHECK(arrived4 < arrived0);
    CHECK(count_lines(lines, "join_all: Joined0 Joined1 Joined2 Joined3 Joined4 (in the order "
                             "asked)") == 1);
    CHECK(count_lines(lines, "exec-1: All tasks are finished") == 1);
    CHECK(lines.back().ends_with(": All tasks are finished"));
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("load mode prints exactly one summary line, with the threads and the number of polls") {
    const auto baseline = common::test::open_descriptor_count();
    const Finished run = run_program({"--requests", "30", "--delay-ms", "50", "--executors", "2"});
    INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
    CHECK(run.status == 0);
    const auto lines = lines_of(run.out);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].starts_with("summary: chapter=ch05 requests=30 delay_ms=50 ok=30 elapsed_ms="));
    CHECK(contains(lines[0], " threads=3 ")); // two executors and the reactor
    CHECK(contains(lines[0], " polls="));
    CHECK(contains(run.err, "Using an embedded delay server")); // announced on stderr instead
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("load mode against a failing server prints the summary, then the error line") {
    common::test::check_load_failure_reported(CH05_PROGRAM_PATH, "ch05");
}

TEST_CASE("the demo against a server that never answers ends with 'timed out', exit status 1") {
    const auto baseline = common::test::open_descriptor_count();
    {
        common::test::MisbehavingServer server(common::test::Misbehavior::Silent);
        const Finished run =
            run_program({"--server", server.endpoint().to_string(), "--timeout-ms", "300"});
        INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
        CHECK(run.status == 1);
        CHECK(contains(run.out, "Program starting"));
        CHECK_FALSE(contains(run.out, "HelloAsyncAwait\n"));
        CHECK(run.err == "error: GET /600/HelloAsyncAwait: timed out\n");
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("the demo against a refused port prints the connect error, exit status 1") {
    common::test::check_demo_refused(CH05_PROGRAM_PATH);
}

TEST_CASE("a bad --executors is a usage error") {
    const Finished run = run_program({"--executors", "65"});
    CHECK(run.status == 1);
    CHECK(run.err.starts_with("error: --executors: "));
    CHECK(run.out.empty());
}
