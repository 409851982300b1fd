// The delay server's request parser, on its own so it can be fuzzed (common/fuzz) and read apart
// from the event loop: it judges the bytes of a request head as they arrive and says whether to
// wait for more, schedule a 200, or answer an error at once. Internal to common (src/, not
// include/): chapters never parse requests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace common::detail {

// What a client may send: a longer head is answered 431, a longer path 414 (the path limit is a
// default: see HeadParser).
inline constexpr std::size_t kMaxRequestHeadBytes = 8 * 1024;
inline constexpr std::size_t kMaxTargetBytes = 2 * 1024;

// What a request head asks for: status 200 with a delay and a message, or an error to send now.
struct Request {
    int status = 200;
    std::string_view why; // for errors: the body's one line (a string literal)
    long delay_ms = 0;
    std::string message; // percent-decoded
};

// Judges a request head as its bytes arrive, looking at each byte once: feed() takes only the
// bytes that are new, so a head that trickles in one byte at a time costs work linear in its
// length (a parser handed the whole buffer again on every read would cost quadratic work, and a
// slow client could make the server's one thread re-scan up to 8 KiB per byte it sends).
//
// It keeps the request line until the line ends, parses it once, and from then on keeps only the
// parsed request, a byte count and how much of the blank line that ends the head it has seen:
// header lines are neither stored nor read.
class HeadParser {
public:
    // Tests raise the path limit (DelayServerOptions::max_path_bytes) to get answers larger than
    // a socket's buffers; the head limit stays, so the path can never exceed it.
    explicit HeadParser(std::size_t max_target_bytes = kMaxTargetBytes)
        : max_target_bytes_(max_target_bytes) {}

    // Feeds the bytes received since the last call: nullopt while more are needed, otherwise the
    // verdict (a 200 to schedule or an error to send); after a verdict, feed() must not be called
    // again. Bad input is judged as early as possible, so garbage gets its 400 at once instead of
    // waiting for an end of head that may never come. Only the first kMaxRequestHeadBytes + 1
    // bytes are looked at (one byte more than allowed settles it), so the verdict does not depend
    // on how the bytes were split between calls. Never throws for any input (only bad_alloc).
    std::optional<Request> feed(std::string_view more);

    // How many bytes this parser has looked at so far, counting a byte again each time it is
    // looked at again (scanned, then parsed as part of the request line). A test checks that it
    // grows linearly with the head, however the head is split.
    std::size_t work() const { return work_; }

private:
    std::optional<Request> feed_request_line(std::string_view& more);
    std::optional<Request> feed_headers(std::string_view more);

    std::size_t max_target_bytes_;
    bool line_done_ = false; // the request line has ended and was valid: request_ holds it
    // How much of the blank line ending the head has arrived: after a '\n' it is 1, after "\n\r"
    // 2; a '\n' then completes "\n\n" or "\n\r\n". Any other byte starts over.
    std::uint8_t blank_line_ = 0;
    std::size_t received_ = 0; // bytes of the head so far (at most kMaxRequestHeadBytes + 1)
    std::size_t work_ = 0;
    std::string line_; // the request line while it arrives in pieces (empty when it came whole)
    Request request_;  // the parsed request line, handed out when the head ends
};

// Judges a whole head at once: HeadParser().feed(received). The fuzz target and tests use it.
std::optional<Request> examine_head(std::string_view received);

} // namespace common::detail
