// Tests of common/http.hpp: the exact request text the book sends, and the strict response parser
// every chapter's client relies on to turn truncated, malformed or over-long input into an error
// instead of a body taken as success.
#include "common/http.hpp"

#include <doctest/doctest.h>

#include <string>
#include <string_view>

namespace {

// The message of the HttpError that `raw` makes parse_response throw ("" if it throws none, which
// the CHECKs below then report as a failure).
std::string parse_error(std::string_view raw) {
    try {
        common::parse_response(raw);
    } catch (const common::HttpError& e) {
        return e.what();
    }
    return "";
}

bool contains(const std::string& text, std::string_view part) {
    return text.find(part) != std::string::npos;
}

} // namespace

TEST_CASE("get_request produces exactly the request the book sends") {
    CHECK(common::get_request("/1000/hello") ==
          "GET /1000/hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    CHECK(common::get_request("/0/x", "127.0.0.1:8080") ==
          "GET /0/x HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nConnection: close\r\n\r\n");
}

TEST_CASE("delay_path puts the delay first and percent-encodes the message") {
    CHECK(common::delay_path(1000, "hello") == "/1000/hello");
    CHECK(common::delay_path(0, "hello world") == "/0/hello%20world");
    // '/' stays: the delay server takes the whole rest of the path as the message.
    CHECK(common::delay_path(250, "a/b") == "/250/a/b");
    CHECK(common::delay_path(5, "100%") == "/5/100%25");
}

TEST_CASE("parse_response reads status, reason, headers and a content-length body") {
    const auto r = common::parse_response(
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");
    CHECK(r.status == 200);
    CHECK(r.reason == "OK");
    CHECK(r.body == "hello");
    REQUIRE(r.headers.size() == 2);
    CHECK(r.headers[0].first == "content-length"); // names are lower-cased
    CHECK(r.headers[0].second == "5");
    CHECK(r.headers[1].first == "connection");
    CHECK(r.headers[1].second == "close");
}

TEST_CASE("parse_response takes the body up to end of stream when there is no content-length") {
    const auto r = common::parse_response("HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nto the end");
    CHECK(r.status == 200);
    CHECK(r.body == "to the end");

    const auto empty = common::parse_response("HTTP/1.1 204 No Content\r\n\r\n");
    CHECK(empty.status == 204);
    CHECK(empty.reason == "No Content");
    CHECK(empty.body.empty());
    CHECK(empty.headers.empty());
}

TEST_CASE("parse_response accepts a zero content-length and a body with binary bytes") {
    CHECK(common::parse_response("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").body.empty());
    const std::string binary("\0\xff\r\n\r\n", 6);
    const auto r = common::parse_response("HTTP/1.1 200 OK\r\ncontent-length: 6\r\n\r\n" + binary);
    CHECK(r.body == binary);
}

TEST_CASE("Response::header looks names up case-insensitively and trims values") {
    const auto r = common::parse_response(
        "HTTP/1.1 200 OK\r\nX-Custom:   spaced value \t\r\ncontent-length: 2\r\n\r\nok");
    REQUIRE(r.header("x-custom").has_value());
    CHECK(*r.header("x-custom") == "spaced value");
    CHECK(r.header("X-CUSTOM") == r.header("x-custom"));
    CHECK(*r.header("Content-Length") == "2");
    CHECK_FALSE(r.header("missing").has_value());
}

TEST_CASE("parse_response rejects empty input") {
    CHECK(contains(parse_error(""), "empty"));
}

TEST_CASE("parse_response rejects a body shorter than its content-length") {
    const auto message = parse_error("HTTP/1.1 200 OK\r\ncontent-length: 32\r\n\r\n0123456789");
    CHECK(contains(message, "truncated"));
    CHECK(contains(message, "32"));
    CHECK(contains(parse_error("HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\n"), "truncated"));
}

TEST_CASE("parse_response rejects bytes after the promised body") {
    CHECK(contains(parse_error("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nokay"), "after"));
}

TEST_CASE("parse_response rejects a head that never ends") {
    CHECK(contains(parse_error("HTTP/1.1 200 OK\r\ncontent-length: 5\r\n"), "truncated"));
    CHECK(contains(parse_error("HTTP/1.1 200 OK"), "truncated"));
    CHECK(contains(parse_error("HTTP/1.1 200 OK\r\n\r"), "truncated"));
}

TEST_CASE("parse_response rejects a malformed status line") {
    const std::string_view bad_lines[] = {
        "HTTP/1.1 OK\r\n\r\n",      // no status code
        "HTTP/1.1 2x0 OK\r\n\r\n",  // not a number
        "HTTP/1.1 20 OK\r\n\r\n",   // two digits
        "HTTP/1.1 2000 OK\r\n\r\n", // four digits
        "HTTP/2.0 200 OK\r\n\r\n",  // not HTTP/1.x
        "HTTP/1.1  200 OK\r\n\r\n", // two spaces
        "http/1.1 200 OK\r\n\r\n",  // the protocol name is case-sensitive
        "\r\n\r\n",                 // no status line at all
        "ICY 200 OK\r\n\r\n",       // not HTTP
    };
    for (const std::string_view raw : bad_lines) {
        CAPTURE(raw);
        const auto message = parse_error(raw);
        CHECK((contains(message, "status line") || contains(message, "malformed")));
    }
}

TEST_CASE("parse_response rejects a malformed header line") {
    const std::string_view bad_headers[] = {
        "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
        "HTTP/1.1 200 OK\r\n: no name\r\n\r\n",
        "HTTP/1.1 200 OK\r\nbad name: x\r\n\r\n",          // a space inside the name
        "HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok", // space before the colon
        "HTTP/1.1 200 OK\r\nx: 1\r\n \r\n\r\n",            // a line of only a space
    };
    for (const std::string_view raw : bad_headers) {
        CAPTURE(raw);
        CHECK(contains(parse_error(raw), "header"));
    }
    // An empty value is still a header.
    CHECK(common::parse_response("HTTP/1.1 200 OK\r\nx-empty:\r\n\r\n").header("x-empty") ==
          std::string_view());
}

TEST_CASE("parse_response rejects a content-length that is not a plain non-negative number") {
    const std::string_view bad_values[] = {"abc", "-1", "+5", "5 5", "0x10", "", "5,5", "1e3"};
    for (const std::string_view value : bad_values) {
        const std::string raw =
            "HTTP/1.1 200 OK\r\ncontent-length: " + std::string(value) + "\r\n\r\nhello";
        CAPTURE(raw);
        CHECK(contains(parse_error(raw), "content-length"));
    }
    // Too large for any integer type: an error, not a wrap-around.
    CHECK(contains(parse_error("HTTP/1.1 200 OK\r\ncontent-length: "
                               "99999999999999999999999999\r\n\r\nhello"),
                   "content-length"));
    // Fits an integer but promises more than we ever buffer.
    CHECK(contains(parse_error("HTTP/1.1 200 OK\r\ncontent-length: " +
                               std::to_string(common::kMaxBodyBytes + 1) + "\r\n\r\nhello"),
                   "too long"));
    // Two different lengths: which one would be the truth?
    CHECK(contains(parse_error("HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: "
                               "3\r\n\r\nok"),
                   "content-length"));
}

TEST_CASE("parse_response rejects a chunked body it does not support") {
    CHECK(contains(parse_error("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n0"
                               "\r\n\r\n"),
                   "transfer-encoding"));
}

TEST_CASE("parse_response rejects a head longer than kMaxHeadBytes") {
    const std::string filler = "x-filler: " + std::string(common::kMaxHeadBytes, 'a') + "\r\n";
    // Terminated, but too long.
    CHECK(contains(parse_error("HTTP/1.1 200 OK\r\n" + filler + "\r\nbody"), "head"));
    // Never terminated and already too long: the parser must not wait for more.
    CHECK(contains(parse_error("HTTP/1.1 200 OK\r\n" + filler), "head"));

    // Just under the limit is fine: the limit is on the head, not on a sum that includes the body.
    const std::string prefix = "HTTP/1.1 200 OK\r\nx-filler: ";
    const std::string suffix = "\r\n\r\n";
    const std::string fits =
        prefix + std::string(common::kMaxHeadBytes - prefix.size() - suffix.size(), 'a') + suffix;
    REQUIRE(fits.size() == common::kMaxHeadBytes);
    CHECK(common::parse_response(fits + "body").body == "body");
}

TEST_CASE("parse_response rejects a body longer than kMaxBodyBytes") {
    const std::string head = "HTTP/1.1 200 OK\r\n\r\n";
    CHECK(contains(parse_error(head + std::string(common::kMaxBodyBytes + 1, 'b')), "too long"));
    CHECK(common::parse_response(head + std::string(common::kMaxBodyBytes, 'b')).body.size() ==
          common::kMaxBodyBytes);
}

TEST_CASE("ok_body returns the body of a 200 and rejects any other status by number") {
    CHECK(common::ok_body("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nhi") == "hi");
    try {
        common::ok_body("HTTP/1.1 404 Not Found\r\ncontent-length: 9\r\n\r\nnot found");
        FAIL("a 404 was taken as success");
    } catch (const common::HttpError& e) {
        CHECK(contains(e.what(), "404"));
    }
    CHECK_THROWS_AS(common::ok_body("HTTP/1.1 201 Created\r\n\r\n"), common::HttpError);
    CHECK_THROWS_AS(common::ok_body(""), common::HttpError);
}

// Found by fuzzing (common/fuzz/fuzz_parse_response.cpp): a content-length with leading zeros is
// valid (RFC 9110: 1*DIGIT) and must be read as a number, so "000" promises an empty body and
// "007" seven bytes; the fuzz target's own check had wrongly compared the text with the size.
TEST_CASE("parse_response reads a content-length with leading zeros as a number") {
    const auto r = common::parse_response("HTTP/1.1 200 OK\r\ncontent-length: 007\r\n\r\n1234567");
    CHECK(r.body == "1234567");
    CHECK(*r.header("content-length") == "007"); // the header keeps its text as sent
    CHECK(common::parse_response("HTTP/1.1 200 OK\r\ncontent-length: 00000000000000000\r\n\r\n")
              .body.empty());
    // More zeros than any integer has digits: still the number 2, not an overflow.
    CHECK(common::parse_response("HTTP/1.1 200 OK\r\ncontent-length: " + std::string(40, '0') +
                                 "2\r\n\r\nok")
              .body == "ok");
    CHECK(contains(parse_error("HTTP/1.1 200 OK\r\ncontent-length: 000\r\n\r\nx"), "after"));
}

TEST_CASE("ok_body's error for a non-200 stays one printable line even with a hostile reason") {
    // Regression: the reason phrase is the server's text; printed raw, a '\n' or an escape sequence
    // in it would break the one-line `error:` contract of every program.
    try {
        (void)common::ok_body(
            "HTTP/1.1 404 a\nerror: injected\x1b[31m\r\ncontent-length: 0\r\n\r\n");
        FAIL("expected an HttpError");
    } catch (const common::HttpError& e) {
        const std::string what = e.what();
        CHECK(what.find("404") != std::string::npos);
        CHECK(what.find('\n') == std::string::npos);
        CHECK(what.find('\x1b') == std::string::npos);
    }
}
