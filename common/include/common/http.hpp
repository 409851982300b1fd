// The HTTP text of the book's examples: the exact GET request it sends, and a parser for the
// response (status line, headers, body by Content-Length or to end of stream). The parser is strict
// on purpose: every chapter's client is tested against servers that send truncated, malformed or
// endless input, and each of those must become a clear error instead of a body taken as success.
#pragma once

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace common {

// Limits that keep a misbehaving peer from making us buffer without end.
inline constexpr std::size_t kMaxHeadBytes = 8 * 1024;    // status line + headers + blank line
inline constexpr std::size_t kMaxBodyBytes = 1024 * 1024; // the delay server's bodies are tiny
inline constexpr std::size_t kMaxResponseBytes = kMaxHeadBytes + kMaxBodyBytes;

// Any protocol-level failure: malformed, truncated, over-long, unexpected status.
class HttpError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// "GET <path> HTTP/1.1\r\nHost: <host>\r\nConnection: close\r\n\r\n" — the request the book sends.
// `path` must start with '/'.
std::string get_request(std::string_view path, std::string_view host = "localhost");

// The path for the delay server: "/<delay_ms>/<percent-encoded message>".
std::string delay_path(long delay_ms, std::string_view message);

struct Response {
    int status = 0;
    std::string reason;
    std::vector<std::pair<std::string, std::string>> headers; // names lower-cased
    std::string body;

    // The value of the first header named `name` (case-insensitive), if any.
    std::optional<std::string_view> header(std::string_view name) const;
};

// Parses a complete response: `raw` is everything the server sent before it closed the connection
// (the book's requests say `Connection: close`, so end of stream ends the response). Throws
// HttpError naming what is wrong: empty, malformed status line or header, head or body too long,
// body shorter than Content-Length, bytes after the promised body.
Response parse_response(std::string_view raw);

// parse_response, then insists on status 200 and returns the body.
std::string ok_body(std::string_view raw);

} // namespace common
