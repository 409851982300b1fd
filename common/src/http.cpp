// Implementation of common/http.hpp: the request text and a strict HTTP/1.1 response parser.
#include "common/http.hpp"

#include "common/percent.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace common {

std::string get_request(std::string_view path, std::string_view host) {
    std::string request;
    request.reserve(path.size() + host.size() + 48);
    request += "GET ";
    request += path;
    request += " HTTP/1.1\r\nHost: ";
    request += host;
    request += "\r\nConnection: close\r\n\r\n";
    return request;
}

std::string delay_path(long delay_ms, std::string_view message) {
    // Built with += rather than "/" + ...: g++ 12 -O2 warns falsely (-Wrestrict) on the latter.
    std::string path = "/";
    path += std::to_string(delay_ms);
    path += '/';
    path += percent_encode(message);
    return path;
}

namespace {

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
        text.remove_prefix(1);
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
        text.remove_suffix(1);
    }
    return text;
}

bool is_token_char(unsigned char c) {
    // RFC 9110 tchar: what a header name may contain.
    return std::isalnum(c) ||
           std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

// A short, printable excerpt of bad input for an error message.
std::string excerpt(std::string_view text) {
    std::string out;
    for (const char ch : text.substr(0, 40)) {
        const auto c = static_cast<unsigned char>(ch);
        out.push_back(std::isprint(c) ? ch : '?');
    }
    return out;
}

// "HTTP/1.1 200 OK" -> status 200, reason "OK".
void parse_status_line(std::string_view line, Response& response) {
    const auto bad = [&] { return HttpError("malformed status line '" + excerpt(line) + "'"); };
    if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." ||
        !std::isdigit(static_cast<unsigned char>(line[7])) || line[8] != ' ') {
        throw bad();
    }
    const std::string_view code = line.substr(9, 3);
    if (!std::all_of(code.begin(), code.end(), [](unsigned char c) { return std::isdigit(c); })) {
        throw bad();
    }
    if (line.size() > 12 && line[12] != ' ') {
        throw bad();
    }
    response.status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
    if (response.status < 100) {
        throw bad(); // status codes are 100..999
    }
    response.reason = line.size() > 13 ? std::string(line.substr(13)) : std::string();
}

std::size_t parse_content_length(std::string_view value) {
    std::size_t length = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
    if (value.empty() || ec != std::errc{} || end != value.data() + value.size()) {
        throw HttpError("malformed content-length '" + excerpt(value) + "'");
    }
    if (length > kMaxBodyBytes) {
        throw HttpError("body too long: content-length " + std::string(value) + " exceeds " +
                        std::to_string(kMaxBodyBytes) + " bytes");
    }
    return length;
}

} // namespace

std::optional<std::string_view> Response::header(std::string_view name) const {
    const std::string wanted = lower(name);
    for (const auto& [key, value] : headers) {
        if (key == wanted) {
            return std::string_view(value);
        }
    }
    return std::nullopt;
}

Response parse_response(std::string_view raw) {
    if (raw.empty()) {
        throw HttpError("empty response: the server closed the connection without answering");
    }
    const std::size_t head_end = raw.find("\r\n\r\n");
    if (head_end == std::string_view::npos) {
        if (raw.size() > kMaxHeadBytes) {
            throw HttpError("response head longer than " + std::to_string(kMaxHeadBytes) +
                            " bytes");
        }
        if (raw.substr(0, std::min<std::size_t>(raw.size(), 5)) !=
            std::string_view("HTTP/").substr(0, std::min<std::size_t>(raw.size(), 5))) {
            throw HttpError("malformed response: does not start with 'HTTP/': '" + excerpt(raw) +
                            "'");
        }
        throw HttpError("truncated response: the head ends after " + std::to_string(raw.size()) +
                        " bytes without a blank line");
    }
    if (head_end + 4 > kMaxHeadBytes) {
        throw HttpError("response head longer than " + std::to_string(kMaxHeadBytes) + " bytes");
    }

    Response response;
    std::string_view head = raw.substr(0, head_end);
    std::size_t line_end = head.find("\r\n");
    parse_status_line(head.substr(0, line_end), response);

    std::optional<std::size_t> content_length;
    while (line_end != std::string_view::npos) {
        head.remove_prefix(line_end + 2);
        line_end = head.find("\r\n");
        const std::string_view line = head.substr(0, line_end);
        const std::size_t colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0 ||
            !std::all_of(line.begin(), line.begin() + static_cast<std::ptrdiff_t>(colon),
                         [](unsigned char c) { return is_token_char(c); })) {
            throw HttpError("malformed header line '" + excerpt(line) + "'");
        }
        std::string name = lower(line.substr(0, colon));
        const std::string_view value = trim(line.substr(colon + 1));
        if (name == "content-length") {
            const std::size_t length = parse_content_length(value);
            if (content_length && *content_length != length) {
                throw HttpError("conflicting content-length headers");
            }
            content_length = length;
        } else if (name == "transfer-encoding" && lower(value) != "identity") {
            // The delay server never sends chunked bodies; rather than half-support them, say so.
            throw HttpError("unsupported transfer-encoding '" + excerpt(value) + "'");
        }
        response.headers.emplace_back(std::move(name), std::string(value));
    }

    const std::string_view body = raw.substr(head_end + 4);
    if (content_length) {
        if (body.size() < *content_length) {
            throw HttpError("truncated body: content-length " + std::to_string(*content_length) +
                            " but the connection closed after " + std::to_string(body.size()) +
                            " bytes");
        }
        if (body.size() > *content_length) {
            throw HttpError(std::to_string(body.size() - *content_length) +
                            " unexpected bytes after the body");
        }
    } else if (body.size() > kMaxBodyBytes) {
        throw HttpError("body too long: more than " + std::to_string(kMaxBodyBytes) + " bytes");
    }
    response.body = std::string(body);
    return response;
}

std::string ok_body(std::string_view raw) {
    Response response = parse_response(raw);
    if (response.status != 200) {
        // The reason phrase is the server's text: printed through excerpt(), so a hostile one
        // cannot break the one-line `error:` contract or smuggle terminal escapes.
        throw HttpError("unexpected status " + std::to_string(response.status) + " " +
                        excerpt(response.reason));
    }
    return std::move(response.body);
}

} // namespace common
