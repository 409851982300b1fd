// Tests of exercise ch02/01 (README.md says what each checks): one read per event, level-triggered,
// against the delay server and a silent server, with every descriptor closed at the end.
#include "level_reader.hpp"

#include <common/delay_server.hpp>
#include <common/http.hpp>
#include <common/test_support/misbehaving_server.hpp>
#include <common/test_support/resources.hpp>
#include <common/test_support/watchdog.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST_CASE("three answers arrive whole with one 16-byte read per event") {
    common::test::Watchdog watchdog;
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        common::DelayServer server;
        const std::vector<std::string> paths = {common::delay_path(150, "first"),
                                                common::delay_path(100, "second"),
                                                common::delay_path(50, "third")};
        const ch02::exercise::LevelReport report =
            ch02::exercise::fetch_level_triggered(server.endpoint(), paths, 16, 3s);
        CHECK(report.bodies == std::vector<std::string>{"first", "second", "third"});
        // One read per event: a reader that drains in a loop makes more reads than events.
        CHECK(report.reads == report.events);
        // Each response is well over 48 bytes: at least 3 chunks and the read that sees the end.
        CHECK(report.reads >= 3 * 4);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("a one-byte chunk still gets every byte, one event each") {
    common::test::Watchdog watchdog;
    common::DelayServer server;
    const std::string message = "byte by byte";
    const ch02::exercise::LevelReport report = ch02::exercise::fetch_level_triggered(
        server.endpoint(), {common::delay_path(20, message)}, 1, 3s);
    REQUIRE(report.bodies.size() == 1);
    CHECK(report.bodies[0] == message);
    CHECK(report.reads == report.events);
    CHECK(report.reads > message.size()); // the head, the body, and the end of stream
}

TEST_CASE("a silent server ends in a timeout, with nothing left open") {
    common::test::Watchdog watchdog;
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        common::test::MisbehavingServer server(common::test::Misbehavior::Silent);
        const auto start = Clock::now();
        CHECK_THROWS_WITH(
            ch02::exercise::fetch_level_triggered(server.endpoint(), {"/0/x"}, 16, 300ms),
            doctest::Contains("timed out"));
        CHECK(Clock::now() - start >= 300ms);
        CHECK(Clock::now() - start < 1500ms);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}
