// The program with `--reactor uring`, run as a child process: the demo's two parts on the
// UringReactor (same executors, same output as on epoll), load mode's summary with reactor=uring
// and the counted system calls, and a bad --reactor value as one error line with exit status 1.
#include "ch02-epoll-reactor/tests/ring_support.hpp"

#include <common/test_support/child_process.hpp>
#include <common/test_support/resources.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace {

common::test::ChildRun run_program(const std::vector<std::string>& args) {
    return common::test::run_child(CH04_PROGRAM_PATH, args, std::chrono::seconds(40));
}

} // namespace

TEST_CASE("uring program: the demo's three parts run on the ring, every request answered") {
    if (ch02::test::skip_without_ring(ch02::test::Needs::Multishot)) {
        return;
    }
    const std::size_t baseline = common::test::open_descriptor_count();
    const auto run = run_program({"--reactor", "uring", "--scale", "20"});
    INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
    CHECK(run.status == 0);
    CHECK(run.err.empty());
    const auto lines = common::test::lines_of(run.out);
    const auto part_starting = [&](const char* heading) {
        return std::find_if(lines.begin(), lines.end(),
                            [&](const std::string& l) { return l.starts_with(heading); });
    };
    const auto part2 = part_starting("== Part 2");
    const auto part3 = part_starting("== Part 3");
    REQUIRE(part2 != lines.end());
    REQUIRE(part3 != lines.end());
    // Part 1 (b-reactor-executor): two requests in a row, in order.
    CHECK(std::count(lines.begin(), part2, std::string("HelloAsyncAwait")) == 2);
    // Part 2 (c-reactor-executor): five requests, answers in order of their delays.
    std::vector<std::string> answers;
    for (auto it = part2; it != part3; ++it) {
        if (it->starts_with("HelloWorld")) {
            answers.push_back(*it);
        }
    }
    CHECK(answers == std::vector<std::string>{"HelloWorld0", "HelloWorld1", "HelloWorld2",
                                              "HelloWorld3", "HelloWorld4"});
    for (int i = 0; i < 5; ++i) {
        CHECK(common::test::count_lines(lines, "HelloWorld" + std::to_string(i)) == 4);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("uring program: load mode's summary says reactor=uring and counts its system calls") {
    if (ch02::test::skip_without_ring(ch02::test::Needs::Multishot)) {
        return;
    }
    const auto run = run_program({"--reactor", "uring", "--requests", "50", "--delay-ms", "20"});
    INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
    CHECK(run.status == 0);
    const auto lines = common::test::lines_of(run.out);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].starts_with("summary: chapter=ch04 requests=50 delay_ms=20 ok=50 "));
    CHECK(common::test::contains(lines[0], " reactor=uring syscalls="));
    // At least socket() and close() per request: the count is made by the code, so it cannot be
    // below what every request must do.
    const auto at = lines[0].find("syscalls=");
    REQUIRE(at != std::string::npos);
    CHECK(std::stol(lines[0].substr(at + 9)) >= 100);
}

TEST_CASE("uring program: --reactor with another value is one error line and exit 1") {
    const auto run = run_program({"--reactor", "iocp", "--requests", "5"});
    CHECK(run.status == 1);
    CHECK(run.out.empty());
    CHECK(run.err == "error: --reactor: expected epoll or uring, got 'iocp'\n");
}
