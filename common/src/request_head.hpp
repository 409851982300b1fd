// The delay server's request parser, on its own so it can be fuzzed (common/fuzz) and read apart
// from the event loop: it judges the bytes of a request head as they arrive and says whether to
// wait for more, schedule a 200, or answer an error at once. Internal to common (src/, not
// include/): chapters never parse requests.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace common::detail {

// What a client may send: a longer head is answered 431, a longer path 414.
inline constexpr std::size_t kMaxRequestHeadBytes = 8 * 1024;
inline constexpr std::size_t kMaxTargetBytes = 2 * 1024;

// What a request head asks for: status 200 with a delay and a message, or an error to send now.
struct Request {
    int status = 200;
    std::string_view why; // for errors: the body's one line (a string literal)
    long delay_ms = 0;
    std::string message; // percent-decoded
};

// Judges what has arrived so far: nullopt while more bytes are needed, otherwise the request (a
// 200 to schedule or an error to send). Bad input is judged as early as possible, so garbage gets
// its 400 at once instead of waiting for an end of head that may never come. Never throws for
// any input (only std::bad_alloc).
std::optional<Request> examine_head(std::string_view received);

} // namespace common::detail
