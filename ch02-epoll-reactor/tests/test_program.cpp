// Tests of the program itself, run as a child process: the demo's answers arrive in reverse order
// and it ends with FINISHED; load mode prints exactly one summary line showing one thread; a
// silent server ends in "timed out", a refused one in the connect error, both with exit status 1.
// common's run_child waits for the child with a bounded poll(2) on a pidfd and kills it at the
// limit, so even a hung program cannot hang this.
#include <common/test_support/child_process.hpp>
#include <common/test_support/misbehaving_server.hpp>
#include <common/test_support/program_contract.hpp>
#include <common/test_support/resources.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using Finished = common::test::ChildRun;
using common::test::contains;
using common::test::lines_of;

Finished run_program(const std::vector<std::string>& args,
                     std::chrono::milliseconds limit = std::chrono::seconds(30)) {
    return common::test::run_child(CH02_PROGRAM_PATH, args, limit);
}

} // namespace

TEST_CASE("the demo prints the answers in reverse order and ends with FINISHED") {
    const auto baseline = common::test::open_descriptor_count();
    // --scale 20: delays 250, 200, 150, 100, 50 ms for request-0 .. request-4.
    const Finished run = run_program({"--scale", "20"});
    INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
    CHECK(run.status == 0);
    CHECK(run.err.empty());
    const auto lines = lines_of(run.out);
    REQUIRE(!lines.empty());
    CHECK(lines.front().starts_with("Using an embedded delay server on 127.0.0.1:"));
    CHECK(lines.back() == "FINISHED");

    // The bodies are the lines that say exactly "request-N"; they come last-sent-first.
    std::vector<std::string> bodies;
    std::size_t received = 0;
    for (const auto& line : lines) {
        if (line.starts_with("request-")) {
            bodies.push_back(line);
        }
        if (line.starts_with("RECEIVED: Event { token: ")) {
            ++received;
        }
    }
    CHECK(bodies == std::vector<std::string>{"request-4", "request-3", "request-2", "request-1",
                                             "request-0"});
    CHECK(received >= 5);
    // The embedded server logs each request as the book's delayserver does.
    CHECK(contains(run.out, "ms: request-0"));
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("load mode prints exactly one summary line, with one thread and the number of polls") {
    const auto baseline = common::test::open_descriptor_count();
    const Finished run = run_program({"--requests", "20", "--delay-ms", "50"});
    INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
    CHECK(run.status == 0);
    const auto lines = lines_of(run.out);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].starts_with("summary: chapter=ch02 requests=20 delay_ms=50 ok=20 elapsed_ms="));
    CHECK(contains(lines[0], " threads=1 "));
    CHECK(contains(lines[0], " polls="));
    CHECK(contains(run.err, "Using an embedded delay server")); // announced on stderr instead
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("load mode against a failing server prints the summary, then the error line") {
    common::test::check_load_failure_reported(CH02_PROGRAM_PATH, "ch02");
}

TEST_CASE("the demo against a server that never answers ends with 'timed out', exit status 1") {
    const auto baseline = common::test::open_descriptor_count();
    {
        common::test::MisbehavingServer server(common::test::Misbehavior::Silent);
        const Finished run =
            run_program({"--server", server.endpoint().to_string(), "--timeout-ms", "300"}, 10s);
        INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
        CHECK_FALSE(run.killed); // a loop that waits without a timeout would hang until killed
        CHECK(run.status == 1);
        CHECK(contains(run.out, "TIMEOUT (OR SPURIOUS EVENT NOTIFICATION)"));
        CHECK_FALSE(contains(run.out, "FINISHED"));
        CHECK(run.err.starts_with("error: "));
        CHECK(contains(run.err, "request-0"));
        CHECK(run.err.ends_with(": timed out\n"));
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("the demo against a refused port prints the connect error, exit status 1") {
    common::test::check_demo_refused(CH02_PROGRAM_PATH);
}

TEST_CASE("a bad --scale is a usage error") {
    const Finished run = run_program({"--scale", "0"});
    CHECK(run.status == 1);
    CHECK(run.err.starts_with("error: --scale: "));
    CHECK(run.out.empty());
}
