// libFuzzer target for the delay server's request parser, common::detail::HeadParser and
// examine_head (common/src/request_head.hpp): every byte a client sends goes through it. Checks
// that it never throws, that it only asks for more bytes while the head can still be within its
// limit, that every answer is one of the statuses the server sends with a reason, that a 200
// really is a GET whose delay and message come from the path, and that feeding the same bytes in
// two pieces gives the same verdict for work linear in the input. Build and run:
// common/scripts/fuzz.sh (see common/RELIABILITY.md).
#include "../src/request_head.hpp"

#include "common/delay_server.hpp"
#include "common/percent.hpp"

#include "fuzz_check.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace {

using common::detail::examine_head;
using common::detail::HeadParser;
using common::detail::kMaxRequestHeadBytes;
using common::detail::Request;
using common::fuzz::check;

bool same_verdict(const std::optional<Request>& a, const std::optional<Request>& b) {
    if (!a || !b) {
        return !a && !b;
    }
    return a->status == b->status && a->why == b->why && a->delay_ms == b->delay_ms &&
           a->message == b->message;
}

// The input fed in two pieces, split where its first byte says: the verdict must not depend on
// how the bytes arrived, and the work stays linear (each byte scanned once, the request line
// parsed once).
void check_split(std::string_view input, const std::optional<Request>& whole) {
    const std::size_t split =
        input.empty() ? 0 : static_cast<unsigned char>(input[0]) * input.size() / 256;
    HeadParser parser;
    std::optional<Request> verdict = parser.feed(input.substr(0, split));
    if (!verdict) {
        verdict = parser.feed(input.substr(split));
    }
    check(same_verdict(whole, verdict), "the verdict does not depend on how the bytes are split");
    check(parser.work() <= 2 * (kMaxRequestHeadBytes + 1), "the work is linear in the head");
}

bool is_known_status(int status) {
    return status == 200 || status == 400 || status == 405 || status == 414 || status == 431 ||
           status == 505;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    std::optional<common::detail::Request> request;
    try {
        request = examine_head(input);
    } catch (...) {
        check(false, "examine_head never throws");
    }
    check_split(input, request);

    if (!request) {
        // "Need more bytes" is only a valid answer while a head could still fit.
        check(input.size() <= kMaxRequestHeadBytes, "asks for more only within the head limit");
        return 0;
    }
    check(is_known_status(request->status), "status is one the server sends");
    if (request->status != 200) {
        check(!request->why.empty(), "every error carries a reason");
        return 0;
    }
    // A 200: the request line is "GET /<digits>/<message> HTTP/1.x", and the parse agrees with it.
    check(input.substr(0, 5) == "GET /", "a 200 is a GET of an absolute path");
    check(request->delay_ms >= 0 && request->delay_ms <= common::kMaxDelayMs,
          "the delay is within 0..kMaxDelayMs");
    const std::size_t target_end = input.find(' ', 4);
    check(target_end != std::string_view::npos, "a 200 has a version after the target");
    const std::string_view target = input.substr(4, target_end - 4);
    const std::size_t second_slash = target.find('/', 1);
    check(second_slash != std::string_view::npos, "a 200 target has two slashes");
    check(std::to_string(request->delay_ms) == std::string(target.substr(1, second_slash - 1)) ||
              target.substr(1, 1) == "0",
          "the delay is the number between the slashes");
    check(common::percent_decode(target.substr(second_slash + 1)) == request->message,
          "the message is the decoded rest of the path");
    return 0;
}
