// Tests of load_client.hpp: N requests on one thread and one Poll get every body from the delay
// server concurrently; against every misbehaving server each request ends in a clear failure (or,
// for Trickle, the right body), the silent ones through the deadline; a refused port fails fast;
// and no descriptor is left open.
#include "ch02-epoll-reactor/src/load_client.hpp"

#include <common/delay_server.hpp>
#include <common/load.hpp>
#include <common/test_support/misbehaving_server.hpp>
#include <common/test_support/resources.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <string>

using namespace std::chrono_literals;
using common::test::Misbehavior;

namespace {

bool contains(const std::string& text, std::string_view part) {
    return text.find(part) != std::string::npos;
}

// A few dozen connections against one misbehaving server, then the checks every mode shares.
void check_against(Misbehavior mode) {
    CAPTURE(common::test::to_string(mode));
    constexpr std::size_t kRequests = 24;
    // The modes that never finish end through the deadline (an epoll_wait timeout), kept short;
    // the others must end on their own, long before a generous one.
    const auto deadline = common::test::needs_deadline(mode) ? 300ms : 10'000ms;

    const auto baseline = common::test::open_descriptor_count();
    {
        common::test::MisbehavingServer server(mode);
        common::LoadTally tally;
        const ch02::LoadRun run =
            ch02::run_load_client(server.endpoint(), kRequests, 10, deadline, tally);

        CHECK(tally.ok() + tally.failed() == kRequests); // every request settled exactly once
        if (common::test::must_fail(mode)) {
            CHECK(tally.ok() == 0);
            CHECK(tally.failed() == kRequests);
            CHECK_FALSE(tally.first_failure().empty());
            MESSAGE("first failure: " << tally.first_failure());
        } else {
            // Trickle sends a valid response one byte at a time, but its body is always
            // kTrickleBody, never load-<i>. So every request fails the body check — and the
            // message proves the response was assembled whole across dozens of edges (a
            // truncated one would fail the parser instead).
            CHECK(tally.ok() == 0);
            CHECK(contains(tally.first_failure(),
                           "wrong body '" + std::string(common::test::kTrickleBody) + "'"));
        }
        if (common::test::needs_deadline(mode)) {
            CHECK(contains(tally.first_failure(), "timed out"));
            CHECK(run.elapsed >= 300ms);
            CHECK(run.elapsed < 5s);
        } else {
            CHECK_FALSE(contains(tally.first_failure(), "timed out"));
            CHECK(run.elapsed < 5s);
        }
        CHECK(run.polls >= 1);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

} // namespace

TEST_CASE("the load client gets every body from the delay server, concurrently, on one thread") {
    const auto baseline = common::test::open_descriptor_count();
    {
        common::DelayServer server;
        common::LoadTally tally;
        constexpr std::size_t kRequests = 50;
        const ch02::LoadRun run =
            ch02::run_load_client(server.endpoint(), kRequests, 200, 10s, tally);
        CHECK(tally.ok() == kRequests);
        CHECK(tally.failed() == 0);
        CHECK(tally.first_failure().empty());
        CHECK(run.elapsed >= 200ms);
        CHECK(run.elapsed < 2s); // sequential would be 50 x 200 ms = 10 s
        // Poll::poll returned batches: at least one call, and never more than two per request
        // (data and close may come as two edges).
        CHECK(run.polls >= 1);
        CHECK(run.polls <= 2 * kRequests);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("the load client against a silent server ends through the deadline") {
    check_against(Misbehavior::Silent);
}

TEST_CASE("the load client against a server that closes before answering fails every request") {
    check_against(Misbehavior::CloseBeforeAnswer);
}

TEST_CASE("the load client against a server that closes mid-body fails every request") {
    check_against(Misbehavior::CloseMidBody);
}

TEST_CASE("the load client against a server that sends garbage fails every request") {
    check_against(Misbehavior::Garbage);
}

TEST_CASE("the load client against a trickling server assembles every response whole") {
    check_against(Misbehavior::Trickle);
}

TEST_CASE("the load client against a server that promises a longer body ends through the "
          "deadline") {
    check_against(Misbehavior::LongerBodyPromised);
}

TEST_CASE("the load client against a server that resets fails every request") {
    check_against(Misbehavior::Reset);
}

TEST_CASE("every misbehaviour of the test server is covered above") {
    // If common adds a mode, this fails until a test case for it is added here.
    CHECK(std::size(common::test::kAllMisbehaviors) == 7);
}

TEST_CASE("the load client against a refused port fails every request at once with the cause") {
    const auto baseline = common::test::open_descriptor_count();
    {
        common::test::RefusedPort refused;
        common::LoadTally tally;
        const ch02::LoadRun run = ch02::run_load_client(refused.endpoint(), 10, 100, 10s, tally);
        CHECK(tally.ok() == 0);
        CHECK(tally.failed() == 10);
        CHECK(contains(tally.first_failure(), "Connection refused"));
        CHECK(run.polls == 0); // nothing was ever registered, so there was nothing to wait for
        CHECK(run.elapsed < 5s);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}
