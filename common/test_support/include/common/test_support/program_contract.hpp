// Test support: the part of the command-line contract every chapter program shares when a run
// fails — one `error:` line on stderr and exit status 1, and in load mode the summary line first,
// alone on stdout. Every chapter's tests/test_program.cpp runs its own program through these, so
// the contract is written down once; what differs between chapters (the demo's own output, how a
// silent server ends) stays in the chapter's tests. Header-only and doctest-based: include it from
// test files only.
#pragma once

#include "common/test_support/child_process.hpp"
#include "common/test_support/misbehaving_server.hpp"
#include "common/test_support/resources.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

namespace common::test {

// Every run below is bounded: a program that hangs is killed at this limit and the check fails.
inline constexpr std::chrono::milliseconds kContractRunLimit{30'000};

// The demo against a port that is bound but not listening: exactly one line,
// `error: connect HOST:PORT: Connection refused`, and exit status 1.
inline void check_demo_refused(const std::string& program) {
    const std::size_t baseline = open_descriptor_count();
    {
        const RefusedPort refused;
        const std::string where = refused.endpoint().to_string();
        const ChildRun run = run_child(program, {"--server", where}, kContractRunLimit);
        INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
        CHECK_FALSE(run.killed);
        CHECK(run.status == 1);
        CHECK(run.err == "error: connect " + where + ": Connection refused\n");
    }
    CHECK(open_descriptor_count() == baseline);
}

// Load mode (3 requests) against the same refused port: the summary with ok=0, alone on stdout,
// then one line naming a request and the connect error, and exit status 1. Which request is named
// first may differ (ch01's threads race), so only its place in the line is checked.
inline void check_load_refused(const std::string& program, std::string_view chapter) {
    const std::size_t baseline = open_descriptor_count();
    {
        const RefusedPort refused;
        const std::string where = refused.endpoint().to_string();
        const ChildRun run = run_child(
            program, {"--server", where, "--requests", "3", "--delay-ms", "10"}, kContractRunLimit);
        INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
        CHECK_FALSE(run.killed);
        CHECK(run.status == 1);
        CHECK(lines_of(run.out).size() == 1);
        CHECK(run.out.starts_with("summary: chapter=" + std::string(chapter) +
                                  " requests=3 delay_ms=10 ok=0 "));
        CHECK(lines_of(run.err).size() == 1);
        CHECK(run.err.starts_with("error: load: 3 of 3 failed: request "));
        CHECK(run.err.ends_with(": connect " + where + ": Connection refused\n"));
    }
    CHECK(open_descriptor_count() == baseline);
}

// Load mode (10 requests) against a server that accepts and closes before answering: every request
// fails after connecting, and the run still reports the summary first, then the error line.
inline void check_load_failure_reported(const std::string& program, std::string_view chapter) {
    const std::size_t baseline = open_descriptor_count();
    {
        const MisbehavingServer server(Misbehavior::CloseBeforeAnswer);
        const ChildRun run = run_child(
            program,
            {"--server", server.endpoint().to_string(), "--requests", "10", "--delay-ms", "10"},
            kContractRunLimit);
        INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
        CHECK_FALSE(run.killed);
        CHECK(run.status == 1);
        CHECK(lines_of(run.out).size() == 1);
        CHECK(run.out.starts_with("summary: chapter=" + std::string(chapter) +
                                  " requests=10 delay_ms=10 ok=0 "));
        CHECK(run.err.starts_with("error: load: 10 of 10 failed: request "));
    }
    CHECK(open_descriptor_count() == baseline);
}

} // namespace common::test
