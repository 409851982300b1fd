// libFuzzer target for common::parse_response and common::ok_body (common/http.hpp), the parser
// every chapter's client runs on whatever a server sent. Beyond "no crash, no sanitizer report" it
// checks what the parser promises: it throws HttpError (nothing else) or returns a response that
// is consistent with the input. Build and run: common/scripts/fuzz.sh (see common/RELIABILITY.md).
#include "common/http.hpp"

#include "fuzz_check.hpp"

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

namespace {

using common::fuzz::check;

bool is_printable(std::string_view text) {
    return std::all_of(text.begin(), text.end(),
                       [](char c) { return static_cast<unsigned char>(c) >= 0x20 && c != 0x7f; });
}

bool is_lower_token(std::string_view name) {
    return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    });
}

// What a successful parse must look like, given the bytes it was parsed from.
void check_response(const common::Response& r, std::string_view raw) {
    check(r.status >= 100 && r.status <= 999, "status is a three-digit code");
    // The body is never invented: it is no longer than the input, and it is the input's tail (the
    // parser takes everything after the blank line, with connection: close semantics).
    check(r.body.size() <= raw.size(), "body no longer than the input");
    check(raw.substr(raw.size() - r.body.size()) == r.body, "body is the tail of the input");
    check(r.body.size() <= common::kMaxBodyBytes, "body within kMaxBodyBytes");
    check(raw.size() - r.body.size() <= common::kMaxHeadBytes, "head within kMaxHeadBytes");
    for (const auto& [name, value] : r.headers) {
        check(is_lower_token(name), "header names are lower-case tokens");
        check(value.find("\r\n") == std::string::npos, "header values hold no line end");
        check(r.header(name).has_value(), "every parsed header can be looked up");
    }
    if (const auto length = r.header("content-length")) {
        // Compared as numbers: "007" is a valid content-length (1*DIGIT) for a 7-byte body.
        std::size_t value = 0;
        const auto [end, ec] =
            std::from_chars(length->data(), length->data() + length->size(), value);
        check(ec == std::errc{} && end == length->data() + length->size() && value == r.body.size(),
              "content-length is the body's size");
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view raw(reinterpret_cast<const char*>(data), size);

    bool parsed = false;
    common::Response response;
    try {
        response = common::parse_response(raw);
        parsed = true;
    } catch (const common::HttpError& e) {
        // Chapters print this as `error: ...`: it must be one readable line, whatever the peer
        // sent (the parser quotes bad input through a sanitising excerpt).
        check(is_printable(e.what()), "HttpError message is printable");
    }
    // Any other exception escapes and libFuzzer reports it as a crash: the promise is HttpError.

    if (parsed) {
        check_response(response, raw);
    }

    // ok_body must agree with parse_response: the body for a 200, HttpError for anything else.
    try {
        const std::string body = common::ok_body(raw);
        check(parsed && response.status == 200 && body == response.body,
              "ok_body returns the body of a 200 and nothing else");
    } catch (const common::HttpError&) {
        check(!parsed || response.status != 200, "ok_body rejects only what is not a valid 200");
    }
    return 0;
}
