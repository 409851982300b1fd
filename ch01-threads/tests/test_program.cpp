// Tests of the ch01-threads program's contract through program_main (src/program.hpp): bad
// arguments, load mode's one summary line and its error line, the deadline, and the demo's output.
#include "ch01-threads/src/program.hpp"

#include <common/delay_server.hpp>
#include <common/test_support/capture.hpp>
#include <common/test_support/misbehaving_server.hpp>
#include <common/test_support/resources.hpp>

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include <unistd.h>

namespace {

struct Run {
    int status = -1;
    std::string out;
    std::string err;
};

// Calls program_main with `args` (argv[0] added), capturing stdout and stderr.
Run run_program(std::vector<std::string> args) {
    args.insert(args.begin(), "ch01-threads");
    std::vector<const char*> argv;
    for (const std::string& a : args) {
        argv.push_back(a.c_str());
    }
    argv.push_back(nullptr);
    Run run;
    common::test::CapturedOutput out(STDOUT_FILENO);
    common::test::CapturedOutput err(STDERR_FILENO);
    run.status = ch01::program_main(static_cast<int>(args.size()), argv.data());
    run.err = err.finish();
    run.out = out.finish();
    return run;
}

std::size_t count_lines(const std::string& text) {
    std::size_t n = 0;
    for (const char c : text) {
        n += c == '\n' ? 1 : 0;
    }
    return n;
}

} // namespace

TEST_CASE("a bad argument is one error line on stderr and exit status 1") {
    const Run run = run_program({"--requests", "many"});
    CHECK(run.status == 1);
    CHECK(run.out.empty());
    CHECK(run.err.rfind("error: --requests: ", 0) == 0);
    CHECK(count_lines(run.err) == 1);
}

TEST_CASE("--help exits 0 and documents the chapter's --stack-kib flag") {
    const Run run = run_program({"--help"});
    CHECK(run.status == 0);
    CHECK(run.out.find("ch01-threads") != std::string::npos);
    CHECK(run.out.find("--stack-kib") != std::string::npos);
}

TEST_CASE("load mode prints exactly one summary line on stdout and exits 0") {
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        common::DelayServer server;
        const Run run = run_program({"--server", server.endpoint().to_string(), "--requests", "20",
                                     "--delay-ms", "200", "--stack-kib", "64"});
        CHECK(run.status == 0);
        CHECK(count_lines(run.out) == 1);
        CHECK(run.out.rfind("summary: chapter=ch01 requests=20 delay_ms=200 ok=20 elapsed_ms=",
                            0) == 0);
        CHECK(run.out.find(" threads=21") != std::string::npos);
        CHECK(run.out.find(" stack_kib=64") != std::string::npos);
        CHECK(run.err.empty());
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("load mode against a refused port: the summary, then the error line, exit 1") {
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        const common::test::RefusedPort refused;
        const std::string address = refused.endpoint().to_string();
        const Run run = run_program({"--server", address, "--requests", "3", "--delay-ms", "10"});
        CHECK(run.status == 1);
        CHECK(count_lines(run.out) == 1);
        CHECK(run.out.rfind("summary: chapter=ch01 requests=3 delay_ms=10 ok=0 ", 0) == 0);
        CHECK(run.err.rfind("error: load: 3 of 3 failed: request ", 0) == 0);
        CHECK(run.err.find("connect " + address + ": Connection refused") != std::string::npos);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("a server that never answers ends the run at --timeout-ms with 'timed out'") {
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        const common::test::MisbehavingServer silent(common::test::Misbehavior::Silent);
        const Run run = run_program({"--server", silent.endpoint().to_string(), "--requests", "2",
                                     "--delay-ms", "10", "--timeout-ms", "300"});
        CHECK(run.status == 1);
        CHECK(run.err.find("timed out") != std::string::npos);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("the demo prints the book's program, both ways of making the requests, and the costs") {
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        common::DelayServer server;
        const Run run = run_program({"--server", server.endpoint().to_string()});
        CHECK(run.status == 0);
        CHECK(run.err.empty());
        // Everything the reader is promised, in this order.
        const std::vector<std::string> in_order = {
            "So, we start the program here!\n",
            "The tasks run concurrently!\n",
            "We can chain callbacks...\n",
            "...like this!\n",
            "The long running tasks finish last!\n",
            "=== 2. Five blocking GETs, one after another ===",
            "request-0 (500 ms) answered after",
            "request-4 (100 ms) answered after",
            "Total: ",
            "=== 3. The same five requests, one std::thread each ===",
            "Total: ",
            "It cost 5 threads for 5 requests",
            "What this costs at 10,000 connections",
            "The next layer, ch02-epoll-reactor,",
        };
        std::size_t at = 0;
        for (const std::string& piece : in_order) {
            CAPTURE(piece);
            const std::size_t found = run.out.find(piece, at);
            CHECK(found != std::string::npos);
            if (found != std::string::npos) {
                at = found + piece.size();
            }
        }
        // Part 3 answers all five.
        const std::size_t part_three = run.out.find("=== 3.");
        REQUIRE(part_three != std::string::npos);
        for (int i = 0; i < 5; ++i) {
            CHECK(run.out.find("request-" + std::to_string(i) + " (", part_three) !=
                  std::string::npos);
        }
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}
