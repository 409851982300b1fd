// Tests of ch03's load mode at load-mode scale: the real program (its load mode lives in main.cpp,
// with no library entry point) run as a child process with 300 requests against every mode of
// common::test::MisbehavingServer. Each run must end with exit status 1, one summary line with
// ok=0 and one `error: load:` line naming a clear cause — never a hang, a crash or a leak.
#include <common/resources.hpp>
#include <common/test_support/child_process.hpp>
#include <common/test_support/misbehaving_server.hpp>
#include <common/test_support/resources.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

using namespace std::chrono_literals;
using common::test::contains;
using common::test::Misbehavior;

namespace {

constexpr std::string_view kRequests = "300";

// What the `error: load:` line names for each mode: a stable part of the message ch03 really
// prints (HttpGetFuture's read errors, common::ok_body's HttpError, the body check in main.cpp's
// LoadRequest, or block_on's deadline).
struct Expected {
    Misbehavior mode;
    std::string_view keyword;
};

constexpr Expected kExpected[] = {
    // block_on's deadline fails every request still open: "block_on: timed out".
    {Misbehavior::Silent, "timed out"},
    {Misbehavior::CloseBeforeAnswer, "empty response"},
    {Misbehavior::CloseMidBody, "truncated body"},
    {Misbehavior::Garbage, "malformed response"},
    // Trickle's body is always "trickled", never load-<i>: the body check failing on exactly that
    // proves each response was assembled whole across dozens of wakes.
    {Misbehavior::Trickle, "wrong body 'trickled'"},
    {Misbehavior::LongerBodyPromised, "timed out"},
    {Misbehavior::Reset, "Connection reset by peer"},
};

std::string_view keyword_for(Misbehavior mode) {
    const auto* it = std::find_if(std::begin(kExpected), std::end(kExpected),
                                  [mode](const Expected& e) { return e.mode == mode; });
    return it == std::end(kExpected) ? std::string_view{} : it->keyword;
}

// The number after " elapsed_ms=" in a summary line, or -1 when it is missing.
long elapsed_ms_of(const std::string& summary) {
    const std::string key = " elapsed_ms=";
    const auto at = summary.find(key);
    if (at == std::string::npos) {
        return -1;
    }
    try {
        return std::stol(summary.substr(at + key.size()));
    } catch (const std::exception&) {
        return -1;
    }
}

void check_load_against(Misbehavior mode) {
    CAPTURE(common::test::to_string(mode));
    // The server in this process holds 300 accepted connections (the child raises its own limit).
    common::raise_descriptor_limit();
    // The modes that never finish end through block_on's deadline, kept short; the others must end
    // on their own, far inside a generous one (so "timed out" there would be a failure).
    const bool silent = common::test::needs_deadline(mode);
    const std::string timeout_ms = silent ? "1000" : "10000";
    const std::string_view keyword = keyword_for(mode);
    REQUIRE_FALSE(keyword.empty());

    const std::size_t baseline = common::test::open_descriptor_count();
    {
        const common::test::MisbehavingServer server(mode);
        // run_child kills a child still running at the limit and says so: a hang fails, bounded.
        const common::test::ChildRun run = common::test::run_child(
            CH03_PROGRAM_PATH,
            {"--server", server.endpoint().to_string(), "--requests", std::string(kRequests),
             "--delay-ms", "10", "--timeout-ms", timeout_ms},
            20s);
        INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);

        CHECK_FALSE(run.killed);
        CHECK(run.status == 1); // not 0 (all failed), and not a crash or a sanitizer's report
        const std::vector<std::string> out = common::test::lines_of(run.out);
        REQUIRE(out.size() == 1); // exactly the summary line, nothing else on stdout
        CHECK(out[0].starts_with("summary: chapter=ch03 requests=300 delay_ms=10 ok=0 "));

        const std::vector<std::string> err = common::test::lines_of(run.err);
        REQUIRE(err.size() == 1);
        CHECK(err[0].starts_with("error: load: 300 of 300 failed: request "));
        CHECK(contains(err[0], keyword));

        const long elapsed = elapsed_ms_of(out[0]);
        if (silent) {
            CHECK(elapsed >= 950); // the deadline ended it: 1000 ms, less a little slack
            CHECK(elapsed < 5000);
        } else {
            CHECK_FALSE(contains(err[0], "timed out"));
            CHECK(elapsed >= 0);
            CHECK(elapsed < 5000);
        }
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

} // namespace

TEST_CASE("load mode at 300 requests has an expected error for every misbehaviour") {
    for (const Misbehavior mode : common::test::kAllMisbehaviors) {
        CAPTURE(common::test::to_string(mode));
        CHECK_FALSE(keyword_for(mode).empty());
    }
    // If common adds a mode, this fails until the table and a test case below cover it.
    CHECK(std::size(kExpected) == std::size(common::test::kAllMisbehaviors));
}

TEST_CASE("load mode at 300 requests against a silent server ends through the deadline") {
    check_load_against(Misbehavior::Silent);
}

TEST_CASE("load mode at 300 requests against a server that closes before answering fails each") {
    check_load_against(Misbehavior::CloseBeforeAnswer);
}

TEST_CASE("load mode at 300 requests against a server that closes mid-body fails each") {
    check_load_against(Misbehavior::CloseMidBody);
}

TEST_CASE("load mode at 300 requests against a server that sends garbage fails each") {
    check_load_against(Misbehavior::Garbage);
}

TEST_CASE("load mode at 300 requests against a trickling server assembles each body whole") {
    check_load_against(Misbehavior::Trickle);
}

TEST_CASE("load mode at 300 requests against a server that promises a longer body ends through "
          "the deadline") {
    check_load_against(Misbehavior::LongerBodyPromised);
}

TEST_CASE("load mode at 300 requests against a server that resets fails each") {
    check_load_against(Misbehavior::Reset);
}
