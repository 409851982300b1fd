// Tests of ch05's load mode (load.hpp, ch05::run_load) at load-mode scale: 300 coroutine tasks over
// one and over two executors sharing one Runtime, against every mode of
// common::test::MisbehavingServer. Every request must end in a clear failure (Trickle: the whole
// body, which is not load-<i>), within bounded time, with every descriptor closed.
#include "ch05-coroutines/src/load.hpp"

#include "helpers.hpp"

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

namespace {

using namespace ch05::test;
using common::test::Misbehavior;

constexpr std::size_t kRequests = 300;

// What the first failure names for each mode: a stable part of the message ch05 really prints
// (http_get's read errors, common::ok_body's HttpError, load_request's body check, or
// with_timeout's "deadline: timed out").
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

void check_load_against(Misbehavior mode) {
    CAPTURE(common::test::to_string(mode));
    const Watchdog dog; // a lost wakeup would hang block_on: turn that into a failure
    // 300 client sockets plus the server's 300 accepted ones: more than some CI soft limits allow.
    common::raise_descriptor_limit();
    // The modes that never finish end through each request's with_timeout, kept short; the
    // others must end on their own, far inside a generous one (so "timed out" there would fail).
    const bool silent = common::test::needs_deadline(mode);
    const auto deadline = silent ? 1000ms : 10'000ms;
    const std::string_view keyword = keyword_for(mode);
    REQUIRE_FALSE(keyword.empty());

    // One executor is load mode's default; two put the requests' wakes on two threads.
    for (const std::size_t executors : {std::size_t{1}, std::size_t{2}}) {
        CAPTURE(executors);
        const std::size_t baseline = common::test::open_descriptor_count();
        {
            const common::test::MisbehavingServer server(mode);
            common::LoadTally tally;
            const ch05::LoadRun run =
                ch05::run_load(server.endpoint(), kRequests, 10, executors, deadline, tally);
            const std::string first = tally.first_failure();
            INFO("first failure: " << first);

            CHECK(tally.ok() == 0);
            CHECK(tally.failed() == kRequests); // every request settled, each exactly once
            CHECK(contains(first, keyword));
            CHECK(run.threads == static_cast<int>(executors) + 1);
            if (silent) {
                CHECK(run.elapsed >= deadline);
                CHECK(run.elapsed < 5s);
            } else {
                CHECK_FALSE(contains(first, "timed out"));
                CHECK(run.elapsed < 5s);
            }
        }
        CHECK(common::test::open_descriptor_count() == baseline);
    }
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
