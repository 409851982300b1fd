// ch03's load mode (join_all over 300 HttpGetFutures under block_on) against every mode of
// common::test::MisbehavingServer, through common's shared checks (load_against_misbehaving.hpp).
// Load mode lives in main.cpp, so it runs as the real program, bounded by run_child: this also
// checks its output contract (one summary line, one `error:` line, exit status 1). The run's
// deadline here is block_on's epoll_wait timeout.
#include <common/test_support/child_process.hpp>
#include <common/test_support/load_against_misbehaving.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;

// The number after `key` (e.g. " ok=") in a summary line, or -1 when it is missing.
long number_after(const std::string& line, const std::string& key) {
    const auto at = line.find(key);
    if (at == std::string::npos) {
        return -1;
    }
    try {
        return std::stol(line.substr(at + key.size()));
    } catch (const std::exception&) {
        return -1;
    }
}

common::test::LoadOutcome run_ch03(const common::Endpoint& server,
                                   std::chrono::milliseconds deadline) {
    const std::string requests = std::to_string(common::test::kLoadRequests);
    // run_child kills a child still running at the limit and says so: a hang fails, bounded.
    const common::test::ChildRun run = common::test::run_child(
        CH03_PROGRAM_PATH,
        {"--server", server.to_string(), "--requests", requests, "--delay-ms", "10", "--timeout-ms",
         std::to_string(deadline.count())},
        20s);
    INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
    CHECK_FALSE(run.killed);
    CHECK(run.status == 1); // not 0 (all failed), and not a crash or a sanitizer's report

    const std::vector<std::string> out = common::test::lines_of(run.out);
    const std::vector<std::string> err = common::test::lines_of(run.err);
    REQUIRE(out.size() == 1); // exactly the summary line on stdout
    REQUIRE(err.size() == 1); // exactly one error line on stderr
    CHECK(out[0].starts_with("summary: chapter=ch03 requests=" + requests + " delay_ms=10 "));
    const std::string prefix = "error: load: ";
    CHECK(err[0].starts_with(prefix));

    common::test::LoadOutcome outcome;
    outcome.requests = static_cast<std::size_t>(number_after(out[0], " requests="));
    const long ok = number_after(out[0], " ok=");
    outcome.ok = static_cast<std::size_t>(ok < 0 ? 0 : ok);
    outcome.failed = static_cast<std::size_t>(number_after(err[0], prefix));
    outcome.first_failure = err[0];
    outcome.elapsed_ms = number_after(out[0], " elapsed_ms=");
    return outcome;
}

} // namespace

ASYNC_LOAD_MISBEHAVING_TESTS("join_all under block_on", run_ch03)
