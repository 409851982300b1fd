// Tests of ch01's blocking client (src/http_get.hpp) against common's in-process delay server and
// its misbehaving server: the request and the parsing, refused connections, every kind of bad
// peer, and no descriptor left open behind any of them.
#include "ch01-threads/src/http_get.hpp"

#include <common/delay_server.hpp>
#include <common/http.hpp>
#include <common/test_support/misbehaving_server.hpp>
#include <common/test_support/resources.hpp>
#include <common/test_support/watchdog.hpp>

#include <doctest/doctest.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <system_error>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

std::chrono::milliseconds since(Clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

} // namespace

TEST_CASE("http_get returns the message the delay server echoes, whatever its characters") {
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        common::DelayServer server;
        // Spaces, a slash, a percent sign and UTF-8: delay_path encodes them, the server decodes.
        const std::string message = "hello, world/\xc3\xbc 100%";
        CHECK(ch01::http_get(server.endpoint(), common::delay_path(10, message), 5s) == message);
        CHECK(ch01::http_get(server.endpoint(), "/0/plain", 5s) == "plain");
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("http_get_raw returns the whole response, which the strict parser accepts") {
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        common::DelayServer server;
        const std::string raw = ch01::http_get_raw(server.endpoint(), "/0/abc", 5s);
        CHECK(raw.rfind("HTTP/1.1 200", 0) == 0);
        const common::Response response = common::parse_response(raw);
        CHECK(response.status == 200);
        CHECK(response.body == "abc");
        // The book's request says `Connection: close`; the server closing is what ends our read.
        REQUIRE(response.header("connection").has_value());
        CHECK(*response.header("connection") == "close");
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("http_get blocks for the whole delay: the answer never comes early") {
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        common::DelayServer server;
        const auto start = Clock::now();
        CHECK(ch01::http_get(server.endpoint(), "/200/late", 5s) == "late");
        CHECK(since(start) >= 200ms);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("a status other than 200 is an HttpError, not a body") {
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        common::DelayServer server;
        // Not a number where the delay belongs: the delay server answers 4xx.
        CHECK_THROWS_AS(ch01::http_get(server.endpoint(), "/soon/x", 5s), common::HttpError);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("a refused connection is a std::system_error that names the address") {
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        const common::test::RefusedPort refused;
        const std::string address = refused.endpoint().to_string();
        bool thrown = false;
        try {
            ch01::http_get(refused.endpoint(), "/0/x", 5s);
        } catch (const std::system_error& e) {
            thrown = true;
            CHECK(e.code() == std::error_code(ECONNREFUSED, std::system_category()));
            CHECK(std::string(e.what()).find("connect " + address) != std::string::npos);
        }
        CHECK(thrown);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("every misbehaving server ends in an error or, when it trickles, the whole body") {
    // Short, so the two modes that never finish (silent, longer body promised) end quickly, and
    // only through the receive timeout. Without that timeout a read would block for good: the
    // watchdog turns such a hang into a failure.
    const common::test::Watchdog watchdog(std::chrono::seconds(20));
    constexpr auto kDeadline = 300ms;
    for (const common::test::Misbehavior mode : common::test::kAllMisbehaviors) {
        CAPTURE(std::string(common::test::to_string(mode)));
        const std::size_t baseline = common::test::open_descriptor_count();
        {
            const common::test::MisbehavingServer server(mode);
            const auto start = Clock::now();
            if (common::test::must_fail(mode)) {
                std::string error;
                try {
                    const std::string body = ch01::http_get(server.endpoint(), "/0/x", kDeadline);
                    FAIL("a partial or bad response was taken as the body '" << body << "'");
                } catch (const std::exception& e) {
                    error = e.what();
                }
                CHECK(!error.empty());
                if (common::test::needs_deadline(mode)) {
                    CHECK(error.find("timed out") != std::string::npos);
                    CHECK(since(start) >= kDeadline - 10ms); // the timeout ended it, not the peer
                }
            } else {
                CHECK(ch01::http_get(server.endpoint(), "/0/x", kDeadline) ==
                      common::test::kTrickleBody);
            }
            CHECK(since(start) < 10s); // no hang (the generous bound is for loaded machines)
        }
        CHECK(common::test::open_descriptor_count() == baseline);
    }
}
