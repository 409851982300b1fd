// Every chapter's tests/test_load_misbehaving.cpp: the chapter's load mode, at load-mode scale
// (300 requests), against each mode of MisbehavingServer. Each request must end in a clear
// failure naming what went wrong (for Trickle: the body check, which proves the trickled response
// was assembled whole), within bounded time, with every descriptor closed. The checks are the
// same for every chapter; only how a chapter runs its load mode differs, so that is all a chapter
// writes. Header-only and doctest-based: include it from test files only.
#pragma once

#include "common/resources.hpp"
#include "common/test_support/child_process.hpp"
#include "common/test_support/misbehaving_server.hpp"
#include "common/test_support/resources.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

namespace common::test {

inline constexpr std::size_t kLoadRequests = 300;

// What a chapter's load run reports to the shared checks.
struct LoadOutcome {
    std::size_t requests = 0; // requests made (kLoadRequests)
    std::size_t ok = 0;
    std::size_t failed = 0;
    std::string first_failure; // the first failure's cause, as the chapter words it
    long elapsed_ms = -1;      // first connect to the end of the run
};

// A stable part of the first failure's message for each mode, the same in every chapter (the
// messages come from common: read errors, common::ok_body's HttpError, LoadTally's body check;
// and each chapter words its deadline "... timed out"). Empty for a mode this table lacks.
inline std::string_view expected_load_failure(Misbehavior mode) {
    switch (mode) {
    case Misbehavior::Silent:
    case Misbehavior::LongerBodyPromised:
        return "timed out";
    case Misbehavior::CloseBeforeAnswer:
        return "empty response";
    case Misbehavior::CloseMidBody:
        return "truncated body";
    case Misbehavior::Garbage:
        return "malformed response";
    case Misbehavior::Trickle:
        // Trickle's body is always "trickled", never load-<i>: failing the body check on exactly
        // that proves each response was assembled whole across many reads.
        return "wrong body 'trickled'";
    case Misbehavior::Reset:
        return "Connection reset by peer";
    }
    return {};
}

// Starts a MisbehavingServer(mode), calls `run(endpoint, deadline)` — the chapter's load mode,
// kLoadRequests requests of `GET /10/load-<i>` — and checks the outcome. The modes that never
// finish must end through the run's deadline, kept short (1 s); the others must end on their own,
// far inside a generous one (10 s), so "timed out" there is a failure.
template <class Run>
void check_load_against(Misbehavior mode, Run&& run) {
    CAPTURE(to_string(mode));
    // 300 client sockets plus the server's 300 accepted ones: more than some soft limits allow.
    raise_descriptor_limit();
    const bool silent = needs_deadline(mode);
    const std::chrono::milliseconds deadline(silent ? 1000 : 10'000);
    const std::string_view keyword = expected_load_failure(mode);
    REQUIRE_FALSE(keyword.empty());

    const std::size_t baseline = open_descriptor_count();
    {
        const MisbehavingServer server(mode);
        const LoadOutcome outcome = run(server.endpoint(), deadline);
        INFO("first failure: " << outcome.first_failure);
        CHECK(outcome.requests == kLoadRequests);
        CHECK(outcome.ok == 0);
        CHECK(outcome.failed == kLoadRequests); // every request settled, each exactly once
        CHECK(contains(outcome.first_failure, keyword));
        if (silent) {
            CHECK(outcome.elapsed_ms >= 950); // the deadline ended it (a little slack for rounding)
        } else {
            CHECK_FALSE(contains(outcome.first_failure, "timed out"));
            CHECK(outcome.elapsed_ms >= 0);
        }
        CHECK(outcome.elapsed_ms < 5000);
    }
    CHECK(open_descriptor_count() == baseline);
}

} // namespace common::test

// Registers one test case per misbehaviour, plus one that fails when common gains a mode this
// file does not know. `label` tells the variants of one chapter apart (e.g. "one executor");
// `run` is a callable as check_load_against wants.
#define ASYNC_LOAD_MISBEHAVING_TESTS(label, run)                                                   \
    TEST_CASE("load mode (" label ") has an expected error for every misbehaviour") {              \
        for (const auto mode : common::test::kAllMisbehaviors) {                                   \
            CAPTURE(common::test::to_string(mode));                                                \
            CHECK_FALSE(common::test::expected_load_failure(mode).empty());                        \
        }                                                                                          \
    }                                                                                              \
    TEST_CASE("load mode (" label                                                                  \
              ") at 300 requests against a silent server ends by its deadline") {                  \
        common::test::check_load_against(common::test::Misbehavior::Silent, run);                  \
    }                                                                                              \
    TEST_CASE("load mode (" label ") at 300 requests against a server closing before answering") { \
        common::test::check_load_against(common::test::Misbehavior::CloseBeforeAnswer, run);       \
    }                                                                                              \
    TEST_CASE("load mode (" label ") at 300 requests against a server closing mid-body") {         \
        common::test::check_load_against(common::test::Misbehavior::CloseMidBody, run);            \
    }                                                                                              \
    TEST_CASE("load mode (" label ") at 300 requests against a server sending garbage") {          \
        common::test::check_load_against(common::test::Misbehavior::Garbage, run);                 \
    }                                                                                              \
    TEST_CASE("load mode (" label ") at 300 requests against a trickling server") {                \
        common::test::check_load_against(common::test::Misbehavior::Trickle, run);                 \
    }                                                                                              \
    TEST_CASE("load mode (" label ") at 300 requests against a server promising a longer body") {  \
        common::test::check_load_against(common::test::Misbehavior::LongerBodyPromised, run);      \
    }                                                                                              \
    TEST_CASE("load mode (" label ") at 300 requests against a server that resets") {              \
        common::test::check_load_against(common::test::Misbehavior::Reset, run);                   \
    }
