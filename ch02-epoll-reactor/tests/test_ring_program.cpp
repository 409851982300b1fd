// Tests of the program's ring demo (`--reactor uring`, ring_demo.hpp), run as a child process: the
// answers come back in reverse order, every connect, send and recv is reported as a completion,
// the connects of all five requests go in with one system call, and a bad --reactor value is one
// error line with exit status 1.
#include "ring_support.hpp"

#include <common/test_support/child_process.hpp>
#include <common/test_support/resources.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

namespace {

common::test::ChildRun run_program(const std::vector<std::string>& args) {
    return common::test::run_child(CH02_PROGRAM_PATH, args, std::chrono::seconds(30));
}

} // namespace

TEST_CASE("ring demo: answers in reverse order, each operation reported as its completion") {
    if (ch02::test::skip_without_ring()) {
        return;
    }
    const auto baseline = common::test::open_descriptor_count();
    const auto run = run_program({"--reactor", "uring", "--scale", "20"});
    INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
    CHECK(run.status == 0);
    CHECK(run.err.empty());
    const auto lines = common::test::lines_of(run.out);
    REQUIRE(lines.size() > 2);
    CHECK(lines.back() == "FINISHED");
    CHECK(lines[1] == "SUBMITTED: 5 connects");

    std::vector<std::string> bodies;
    std::size_t connects = 0;
    std::size_t sends = 0;
    std::size_t ends = 0; // recv completions with result 0: the server closed
    for (const auto& line : lines) {
        if (line.starts_with("request-")) {
            bodies.push_back(line);
        }
        if (line.starts_with("COMPLETED: ")) {
            connects += common::test::contains(line, " connect), result: 0 }") ? 1 : 0;
            // The request's size: 66 or 67 bytes, depending on the delay's digits.
            sends += common::test::contains(line, " send), result: 6") ? 1 : 0;
            ends += common::test::contains(line, " recv), result: 0 }") ? 1 : 0;
        }
    }
    CHECK(bodies == std::vector<std::string>{"request-4", "request-3", "request-2", "request-1",
                                             "request-0"});
    CHECK(connects == 5);
    CHECK(sends == 5);
    CHECK(ends == 5);
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("--reactor with a value other than epoll or uring is one error line and exit 1") {
    const auto run = run_program({"--reactor", "kqueue"});
    CHECK(run.status == 1);
    CHECK(run.out.empty());
    CHECK(run.err == "error: --reactor: expected epoll or uring, got 'kqueue'\n");
    const auto missing = run_program({"--reactor"});
    CHECK(missing.status == 1);
    CHECK(missing.err == "error: --reactor: needs a value (epoll or uring)\n");
}

TEST_CASE("ring demo against a refused port: the connect's error, exit 1") {
    if (ch02::test::skip_without_ring()) {
        return;
    }
    // Port 1 on loopback: nothing listens there on a test machine.
    const auto run = run_program({"--reactor", "uring", "--server", "127.0.0.1:1"});
    INFO("stderr:\n" << run.err);
    CHECK(run.status == 1);
    CHECK(run.err == "error: request-0: connect 127.0.0.1:1: Connection refused\n");
}
