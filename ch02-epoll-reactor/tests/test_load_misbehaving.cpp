// Tests of ch02's load mode (load_client.hpp) at load-mode scale: 300 concurrent requests on one
// thread and one Poll against every mode of common::test::MisbehavingServer. Every request must end
// in a clear failure (Trickle: the whole body, which is not load-<i>), within bounded time, with
// every descriptor closed. test_load_client.cpp covers the same modes with a few dozen requests.
#include "ch02-epoll-reactor/src/load_client.hpp"

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

// What the first failure names for each mode: a stable part of the message ch02 really prints
// (read_until_blocked's errors, common::ok_body's HttpError, LoadTally's body check, or the
// client's own deadline line).
struct Expected {
    Misbehavior mode;
    std::string_view keyword;
};

constexpr Expected kExpected[] = {
    {Misbehavior::Silent, "timed out"},
    {Misbehavior::CloseBeforeAnswer, "empty response"},
    {Misbehavior::CloseMidBody, "truncated body"},
    {Misbehavior::Garbage, "malformed response"},
    // Trickle's body is always "trickled", never load-<i>: the body check failing on exactly that
    // proves each response was assembled whole across dozens of edges.
    {Misbehavior::Trickle, "wrong body 'trickled'"},
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
    // The modes that never finish end through the client's deadline, kept short; the others must
    // end on their own, far inside a generous one (so "timed out" there would be a failure).
    const bool silent = common::test::needs_deadline(mode);
    const auto deadline = silent ? 1000ms : 10'000ms;
    const std::string_view keyword = keyword_for(mode);
    REQUIRE_FALSE(keyword.empty());

    const std::size_t baseline = common::test::open_descriptor_count();
    {
        const common::test::MisbehavingServer server(mode);
        common::LoadTally tally;
        const ch02::LoadRun run =
            ch02::run_load_client(server.endpoint(), kRequests, 10, deadline, tally);
        const std::string first = tally.first_failure();
        INFO("first failure: " << first);

        CHECK(tally.ok() == 0);
        CHECK(tally.failed() == kRequests); // every request settled, each exactly once
        CHECK(contains(first, keyword));
        if (silent) {
            CHECK(run.elapsed >= deadline);
            CHECK(run.elapsed < 5s);
        } else {
            CHECK_FALSE(contains(first, "timed out"));
            CHECK(run.elapsed < 5s);
        }
        CHECK(run.polls >= 1); // the waiting happened in epoll_wait
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
