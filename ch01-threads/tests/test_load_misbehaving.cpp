// Tests of ch01's load mode (load.hpp) at load-mode scale: 300 request threads, each blocked in its
// own socket, against every mode of common::test::MisbehavingServer. Every request must end in a
// clear failure (Trickle: the whole body, which is not load-<i>), within bounded time, with every
// descriptor closed and every thread joined.
#include "ch01-threads/src/load.hpp"

#include <common/load.hpp>
#include <common/resources.hpp>
#include <common/test_support/misbehaving_server.hpp>
#include <common/test_support/resources.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <iterator>
#include <string>
#include <string_view>

using namespace std::chrono_literals;
using common::test::Misbehavior;

namespace {

constexpr std::size_t kRequests = 300;

// What the first failure names for each mode: a stable part of the message ch01 really prints
// (read_to_eof's errors, common::ok_body's HttpError, or LoadTally's body check).
struct Expected {
    Misbehavior mode;
    std::string_view keyword;
};

constexpr Expected kExpected[] = {
    // SO_RCVTIMEO expired: "read 127.0.0.1:PORT: timed out".
    {Misbehavior::Silent, "timed out"},
    {Misbehavior::CloseBeforeAnswer, "empty response"},
    {Misbehavior::CloseMidBody, "truncated body"},
    {Misbehavior::Garbage, "malformed response"},
    // Trickle's body is always "trickled", never load-<i>: the body check failing on exactly that
    // proves each response was read whole, one byte per segment, up to the end of stream.
    {Misbehavior::Trickle, "wrong body 'trickled'"},
    // The head and 10 bytes arrive, then the next read waits out the receive timeout.
    {Misbehavior::LongerBodyPromised, "timed out"},
    {Misbehavior::Reset, "Connection reset by peer"},
};

std::string_view keyword_for(Misbehavior mode) {
    const auto* it = std::find_if(std::begin(kExpected), std::end(kExpected),
                                  [mode](const Expected& e) { return e.mode == mode; });
    return it == std::end(kExpected) ? std::string_view{} : it->keyword;
}

bool contains(const std::string& text, std::string_view part) {
    return text.find(part) != std::string::npos;
}

void check_load_against(Misbehavior mode) {
    CAPTURE(common::test::to_string(mode));
    // 300 client sockets plus the server's 300 accepted ones: more than some CI soft limits allow.
    common::raise_descriptor_limit();
    // The modes that never finish end through the receive timeout, kept short; the others must end
    // on their own, far inside a generous one (so "timed out" there would be a failure).
    const bool silent = common::test::needs_deadline(mode);
    const std::string_view keyword = keyword_for(mode);
    REQUIRE_FALSE(keyword.empty());

    const std::size_t baseline = common::test::open_descriptor_count();
    {
        const common::test::MisbehavingServer server(mode);
        ch01::LoadPlan plan;
        plan.server = server.endpoint();
        plan.requests = kRequests;
        plan.delay_ms = 10;
        plan.deadline = silent ? 1000ms : 10'000ms;
        common::LoadTally tally;
        const common::Summary summary = ch01::run_load(plan, tally); // returns once all are joined
        const std::string first = tally.first_failure();
        INFO("first failure: " << first);

        CHECK(summary.requests == kRequests);
        CHECK(summary.ok == 0);
        CHECK(tally.ok() == 0);
        CHECK(tally.failed() == kRequests); // every thread started, and each settled exactly once
        CHECK(contains(first, keyword));
        CHECK_FALSE(contains(first, "not started")); // no thread creation failed
        if (silent) {
            // The receive timeout rounds up to whole clock ticks, so it never ends early; 50 ms
            // of slack anyway, since the check is about who ended the run, not precision.
            CHECK(summary.elapsed_ms >= 950);
            CHECK(summary.elapsed_ms < 5000);
        } else {
            CHECK_FALSE(contains(first, "timed out"));
            CHECK(summary.elapsed_ms < 5000);
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

TEST_CASE("load mode at 300 requests against a silent server ends through the receive timeout") {
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

TEST_CASE("load mode at 300 requests against a trickling server reads each body whole") {
    check_load_against(Misbehavior::Trickle);
}

TEST_CASE("load mode at 300 requests against a server that promises a longer body ends through "
          "the receive timeout") {
    check_load_against(Misbehavior::LongerBodyPromised);
}

TEST_CASE("load mode at 300 requests against a server that resets fails each") {
    check_load_against(Misbehavior::Reset);
}
