// Implementation of request_head.hpp: the request line, the target "/<delay_ms>/<message>", and
// where the head ends.
#include "request_head.hpp"

#include "common/delay_server.hpp"
#include "common/percent.hpp"

#include <algorithm>
#include <charconv>
#include <stdexcept>

namespace common::detail {
namespace {

// ---- the request ------------------------------------------------------------------------------

Request reject(int status, std::string_view why) {
    Request request;
    request.status = status;
    request.why = why;
    return request;
}

bool is_token_char(unsigned char c) {
    // RFC 9110 "tchar": the characters a method name may contain.
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool is_visible(unsigned char c) {
    return c > 0x20 && c < 0x7f;
}

template <typename Pred>
bool all_of(std::string_view text, Pred pred) {
    return std::all_of(text.begin(), text.end(),
                       [&](char c) { return pred(static_cast<unsigned char>(c)); });
}

// "/<delay_ms>/<message>": the delay in decimal digits, then the percent-encoded message, which
// is everything after the second slash ("/100/a/b" answers "a/b").
Request parse_target(std::string_view target) {
    if (target.front() != '/') {
        return reject(400, "expected /<delay_ms>/<message>");
    }
    target.remove_prefix(1);
    const std::size_t slash = target.find('/');
    if (slash == std::string_view::npos) {
        return reject(400, "expected /<delay_ms>/<message>");
    }
    const std::string_view digits = target.substr(0, slash);
    // Digits only: from_chars alone would accept a leading '-'.
    if (digits.empty() || !all_of(digits, [](unsigned char c) { return c >= '0' && c <= '9'; })) {
        return reject(400, "the delay must be a whole number of milliseconds");
    }
    long delay_ms = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), delay_ms);
    if (ec != std::errc{} || delay_ms > kMaxDelayMs) {
        // Refused, not clamped: a client asking for a year has a bug it should hear about.
        return reject(400, "the delay must be at most 3600000 ms (one hour)");
    }
    Request request;
    request.delay_ms = delay_ms;
    try {
        request.message = percent_decode(target.substr(slash + 1));
    } catch (const std::invalid_argument&) {
        return reject(400, "malformed percent escape in the message");
    }
    return request;
}

// request-line = method SP request-target SP HTTP-version (RFC 9112, section 3), without its
// line end. Only this line matters to the delay server; the headers are ignored.
Request parse_request_line(std::string_view line, std::size_t max_target_bytes) {
    const std::size_t first_space = line.find(' ');
    if (first_space == std::string_view::npos) {
        return reject(400, "malformed request line");
    }
    const std::string_view method = line.substr(0, first_space);
    const std::string_view rest = line.substr(first_space + 1);
    const std::size_t second_space = rest.find(' ');
    if (second_space == std::string_view::npos) {
        return reject(400, "missing HTTP version");
    }
    const std::string_view target = rest.substr(0, second_space);
    const std::string_view version = rest.substr(second_space + 1);
    if (method.empty() || !all_of(method, is_token_char)) {
        return reject(400, "malformed method");
    }
    if (target.empty() || !all_of(target, is_visible)) {
        return reject(400, "malformed request target");
    }
    if (version != "HTTP/1.1" && version != "HTTP/1.0") {
        const bool looks_like_http = version.size() == 8 && version.substr(0, 5) == "HTTP/" &&
                                     version[5] >= '0' && version[5] <= '9' && version[6] == '.' &&
                                     version[7] >= '0' && version[7] <= '9';
        return looks_like_http ? reject(505, "only HTTP/1.0 and HTTP/1.1 are served")
                               : reject(400, "malformed HTTP version");
    }
    if (method != "GET") {
        return reject(405, "only GET is served");
    }
    if (target.size() > max_target_bytes) {
        return reject(414, "path too long");
    }
    return parse_target(target);
}

bool allowed_in_request_line(unsigned char c) {
    return c == ' ' || c == '\r' || is_visible(c);
}

// A request line that has not ended within the head limit: 414 when it is the path that is too
// long, 431 otherwise.
Request too_long_line(std::string_view line, std::size_t max_target_bytes) {
    const std::size_t target_start = line.find(' ');
    if (target_start == std::string_view::npos) {
        return reject(431, "request head longer than 8192 bytes");
    }
    const std::size_t target_end = line.find(' ', target_start + 1);
    const std::size_t target_size =
        (target_end == std::string_view::npos ? line.size() : target_end) - target_start - 1;
    return target_size > max_target_bytes ? reject(414, "path too long")
                                          : reject(431, "request head longer than 8192 bytes");
}

} // namespace

std::optional<Request> HeadParser::feed(std::string_view more) {
    // Bytes past the limit cannot change the verdict: one byte over it settles it.
    more = more.substr(0, kMaxRequestHeadBytes + 1 - received_);
    if (!line_done_) {
        if (auto verdict = feed_request_line(more)) {
            return verdict;
        }
        if (!line_done_) {
            return std::nullopt;
        }
    }
    return feed_headers(more);
}

// Scans the new bytes up to the line's end; parses the line once, when its end has arrived.
// Consumes what it scanned from `more`, leaving what follows the line for feed_headers().
std::optional<Request> HeadParser::feed_request_line(std::string_view& more) {
    const std::size_t line_end = more.find('\n');
    const std::string_view part = more.substr(0, line_end);
    work_ += part.size();
    // Bytes that cannot be part of a request line settle it before its end arrives.
    if (!all_of(part, allowed_in_request_line)) {
        return reject(400, "binary data instead of an HTTP request");
    }
    received_ += part.size();
    if (line_end == std::string_view::npos) {
        line_.append(part);
        if (received_ > kMaxRequestHeadBytes) {
            return too_long_line(line_, max_target_bytes_);
        }
        more = {};
        return std::nullopt;
    }
    ++received_; // the '\n'
    more.remove_prefix(line_end + 1);
    // The common case, a line that arrived whole, is parsed in place without a copy.
    std::string_view line = part;
    if (!line_.empty()) {
        line_.append(part);
        line = line_;
    }
    if (!line.empty() && line.back() == '\r') {
        line.remove_suffix(1);
    }
    work_ += line.size();
    request_ = parse_request_line(line, max_target_bytes_);
    std::string().swap(line_); // not needed any more: give the buffer back
    if (request_.status != 200) {
        return std::move(request_); // a bad request line needs no headers to be judged
    }
    line_done_ = true;
    blank_line_ = 1; // the line's own '\n' may be the first half of the blank line
    return std::nullopt;
}

// The head ends at the first empty line: "\r\n\r\n", or "\n\n" from clients that end lines with a
// bare LF (RFC 9112 lets a server accept those). Header lines are not otherwise looked at.
std::optional<Request> HeadParser::feed_headers(std::string_view more) {
    for (const char c : more) {
        ++work_;
        ++received_;
        if (c == '\n' && blank_line_ > 0) {
            if (received_ > kMaxRequestHeadBytes) {
                return reject(431, "request head longer than 8192 bytes");
            }
            return std::move(request_); // bytes after the head are ignored
        }
        blank_line_ = c == '\n' ? 1 : (c == '\r' && blank_line_ == 1 ? 2 : 0);
    }
    if (received_ > kMaxRequestHeadBytes) {
        return reject(431, "request head longer than 8192 bytes");
    }
    return std::nullopt;
}

std::optional<Request> examine_head(std::string_view received) {
    return HeadParser().feed(received);
}

} // namespace common::detail
