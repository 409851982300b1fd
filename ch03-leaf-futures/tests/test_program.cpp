// Tests of the ch03-leaf-futures program, run as a child process: the demo's three parts in
// order, load mode's single summary line (with polls and wakes), and the error lines for a
// refused and a silent server. The child's end is awaited with a pidfd in a ch02 Poll, bounded,
// so even a hung program cannot hang the test.
#include "ch02-epoll-reactor/src/poll.hpp"

#include <common/fd.hpp>
#include <common/test_support/child_process.hpp>
#include <common/test_support/misbehaving_server.hpp>
#include <common/test_support/program_contract.hpp>
#include <common/test_support/resources.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace {

using Run = common::test::ChildRun;
using common::test::contains;
using common::test::lines_of;

Run run_program(const std::vector<std::string>& args,
                std::chrono::milliseconds limit = std::chrono::seconds(40)) {
    return common::test::run_child(CH03_PROGRAM_PATH, args, limit);
}

std::size_t count(const std::vector<std::string>& lines, std::string_view line) {
    return common::test::count_lines(lines, line);
}

} // namespace

TEST_CASE("the demo runs its three parts in order and ends with FINISHED") {
    const std::size_t baseline = common::test::open_descriptor_count();
    const Run run = run_program({});
    INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
    CHECK(run.status == 0);
    CHECK(run.err.empty());
    const std::vector<std::string> lines = lines_of(run.out);
    REQUIRE_FALSE(lines.empty());
    CHECK(lines.front().starts_with("Using an embedded delay server on 127.0.0.1:"));
    CHECK(lines.back() == "FINISHED");

    // The parts, in order, found by their headings.
    std::vector<std::size_t> parts;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (lines[i].starts_with("== ")) {
            parts.push_back(i);
        }
    }
    REQUIRE(parts.size() == 4);
    CHECK(lines[parts[0]].starts_with("== 1. "));
    CHECK(lines[parts[1]].starts_with("== 2. "));
    CHECK(lines[parts[2]].starts_with("== 3a. "));
    CHECK(lines[parts[3]].starts_with("== 3b. "));
    const auto section = [&](std::size_t k) {
        const auto end = k + 1 < parts.size() ? parts[k + 1] : lines.size();
        return std::vector<std::string>(lines.begin() + static_cast<long>(parts[k]),
                                        lines.begin() + static_cast<long>(end));
    };

    // Parts 1 and 2 run the same coroutine; the busy loop asks about every 100 ms for a second,
    // block_on sleeps once per wait.
    const auto busy = section(0);
    const auto blocking = section(1);
    for (const auto* part : {&busy, &blocking}) {
        CHECK(count(*part, "Program starting") == 1);
        CHECK(count(*part, "FIRST POLL - START OPERATION") == 2);
        CHECK(count(*part, "HelloWorld1") == 1);
        CHECK(count(*part, "HelloWorld2") == 1);
        CHECK(count(*part, "Received 2 responses.") == 1);
    }
    CHECK(count(busy, "Schedule other tasks") >= 6);
    CHECK(count(blocking, "Schedule other tasks") >= 2);
    CHECK(count(blocking, "Schedule other tasks") <= 4);

    // Part 3: every body once in each half, in the order asked for: 3a is one coroutine with
    // five waits in a row (ch07/b-async-await), 3b join_all, which keeps the order given.
    CHECK(contains(lines[parts[2]], "one coroutine with five waits"));
    const auto bodies_of = [](const std::vector<std::string>& part) {
        std::vector<std::string> bodies;
        for (const std::string& line : part) {
            if (line.starts_with("HelloWorld")) {
                bodies.push_back(line);
            }
        }
        return bodies;
    };
    const std::vector<std::string> in_order = {"HelloWorld0", "HelloWorld1", "HelloWorld2",
                                               "HelloWorld3", "HelloWorld4"};
    const auto five_waits = section(2);
    CHECK(count(five_waits, "Program starting") == 1);
    CHECK(count(five_waits, "FIRST POLL - START OPERATION") == 5);
    CHECK(bodies_of(five_waits) == in_order);
    CHECK(bodies_of(section(3)) == in_order);
    std::size_t elapsed_lines = 0;
    for (const std::string& line : lines) {
        elapsed_lines += line.starts_with("ELAPSED TIME: ") ? 1 : 0;
    }
    CHECK(elapsed_lines == 4);
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("load mode prints exactly one summary line, with one thread, polls and wakes") {
    const std::size_t baseline = common::test::open_descriptor_count();
    const Run run = run_program({"--requests", "50", "--delay-ms", "50"});
    INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
    CHECK(run.status == 0);
    const std::vector<std::string> lines = lines_of(run.out);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].starts_with("summary: chapter=ch03 requests=50 delay_ms=50 ok=50 elapsed_ms="));
    CHECK(contains(lines[0], " threads=1 polls="));
    CHECK(contains(lines[0], " wakes="));
    CHECK_FALSE(contains(run.out, "FIRST POLL")); // the book's messages are off in load mode
    CHECK(contains(run.err, "Using an embedded delay server"));
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("a refused server ends in the connect error, exit status 1, in both modes") {
    common::test::check_demo_refused(CH03_PROGRAM_PATH);
    common::test::check_load_refused(CH03_PROGRAM_PATH, "ch03");
}

TEST_CASE("a server that never answers ends in 'timed out' through the deadline, exit status 1") {
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        common::test::MisbehavingServer server(common::test::Misbehavior::Silent);
        const std::string where = server.endpoint().to_string();

        const Run demo = run_program({"--server", where, "--timeout-ms", "300"});
        INFO("stdout:\n" << demo.out << "\nstderr:\n" << demo.err);
        CHECK(demo.status == 1);
        CHECK_FALSE(contains(demo.out, "FINISHED"));
        CHECK(demo.err == "error: busy polling: timed out\n");

        const Run load = run_program(
            {"--server", where, "--requests", "5", "--delay-ms", "10", "--timeout-ms", "300"});
        INFO("stdout:\n" << load.out << "\nstderr:\n" << load.err);
        CHECK(load.status == 1);
        CHECK(load.out.starts_with("summary: chapter=ch03 requests=5 delay_ms=10 ok=0 "));
        CHECK(load.err == "error: load: 5 of 5 failed: request 0: block_on: timed out\n");
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}
