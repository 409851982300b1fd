// Tests of common/percent.hpp: the delay server decodes the message part of a path and clients
// encode it, so any byte must survive the round trip and any malformed escape must be an error.
#include "common/percent.hpp"

#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <string_view>

TEST_CASE("percent_decode turns escapes with upper- or lower-case hex into bytes") {
    CHECK(common::percent_decode("%41b%2Fc") == "Ab/c");
    CHECK(common::percent_decode("%2f") == "/");
    CHECK(common::percent_decode("%2F") == "/");
    CHECK(common::percent_decode("hello%20world") == "hello world");
    CHECK(common::percent_decode("%aB%Cd") == "\xab\xcd");
    CHECK(common::percent_decode("%00") == std::string(1, '\0'));
    CHECK(common::percent_decode("%25") == "%");
    CHECK(common::percent_decode("%2541") == "%41"); // decoded once, not twice
}

TEST_CASE("percent_decode leaves plain text, '+' and '/' alone") {
    CHECK(common::percent_decode("") == "");
    CHECK(common::percent_decode("plain-text_1.2~") == "plain-text_1.2~");
    CHECK(common::percent_decode("a+b") == "a+b"); // '+' means space only in forms
    CHECK(common::percent_decode("a/b/c") == "a/b/c");
}

TEST_CASE("percent_decode produces the UTF-8 bytes of non-ASCII text") {
    CHECK(common::percent_decode("caf%C3%A9") == "caf\xc3\xa9");  // café
    CHECK(common::percent_decode("%E2%9C%93") == "\xe2\x9c\x93"); // ✓
}

TEST_CASE("percent_decode rejects a '%' not followed by two hex digits") {
    const std::string_view bad[] = {"%", "%4", "%zz", "%4g", "%g4", "abc%", "ab%2", "%%41", "% 41"};
    for (const std::string_view text : bad) {
        CAPTURE(text);
        try {
            const std::string decoded = common::percent_decode(text);
            FAIL("decoded a malformed escape to '" << decoded << "'");
        } catch (const std::invalid_argument& e) {
            CHECK(std::string_view(e.what()).find("percent escape") != std::string_view::npos);
        }
    }
}

TEST_CASE("percent_decode names the offset of the malformed escape") {
    try {
        common::percent_decode("abc%zz");
        FAIL("no exception");
    } catch (const std::invalid_argument& e) {
        CHECK(std::string_view(e.what()).find("offset 3") != std::string_view::npos);
    }
}

TEST_CASE("percent_encode keeps unreserved characters and '/' and escapes the rest") {
    CHECK(common::percent_encode("AZaz09-._~/") == "AZaz09-._~/");
    CHECK(common::percent_encode("hello world") == "hello%20world");
    CHECK(common::percent_encode("100%") == "100%25");
    CHECK(common::percent_encode("a+b?c#d") == "a%2Bb%3Fc%23d");
    CHECK(common::percent_encode(std::string_view("\0\xff", 2)) == "%00%FF"); // upper-case hex
    CHECK(common::percent_encode("caf\xc3\xa9") == "caf%C3%A9");
}

TEST_CASE("percent_encode round-trips every byte value") {
    std::string all;
    for (int c = 0; c < 256; ++c) {
        all.push_back(static_cast<char>(c));
    }
    const std::string encoded = common::percent_encode(all);
    // The encoding is safe in a path: only unreserved characters, '/' and escapes.
    for (const char ch : encoded) {
        const auto c = static_cast<unsigned char>(ch);
        CAPTURE(c);
        CHECK(c < 0x80);
        CHECK(c > 0x20);
        CHECK(std::string_view("?# \"<>\\^`{|}").find(ch) == std::string_view::npos);
    }
    CHECK(common::percent_decode(encoded) == all);

    const std::string text = "spaces and / slashes, 100% sure: caf\xc3\xa9 \x01\x7f";
    CHECK(common::percent_decode(common::percent_encode(text)) == text);
}
