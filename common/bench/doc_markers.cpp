// Implementation of doc_markers.hpp. The document is read line by line; a region's new text
// replaces exactly the text between its markers.
#include "doc_markers.hpp"

#include "tables.hpp"

namespace bench {
namespace {

constexpr std::string_view kOpen = "<!-- bench:";
constexpr std::string_view kOpenEnd = " -->";
constexpr std::string_view kClose = "<!-- /bench -->";
constexpr std::string_view kTable = "table:";

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
        s.remove_suffix(1);
    }
    return s;
}

bool starts_fence(std::string_view line) {
    const std::string_view t = trim(line);
    return t.substr(0, 3) == "```" || t.substr(0, 3) == "~~~";
}

// Whether `pos` is inside an inline code span: an odd number of backticks before it.
bool in_code_span(std::string_view line, std::size_t pos) {
    std::size_t ticks = 0;
    for (std::size_t i = 0; i < pos; ++i) {
        ticks += line[i] == '`' ? 1 : 0;
    }
    return ticks % 2 == 1;
}

// The next position of `what` in `line` from `from` that is not inside a code span.
std::size_t find_outside_code(std::string_view line, std::string_view what, std::size_t from) {
    for (std::size_t pos = line.find(what, from); pos != std::string_view::npos;
         pos = line.find(what, pos + 1)) {
        if (!in_code_span(line, pos)) {
            return pos;
        }
    }
    return std::string_view::npos;
}

std::vector<std::string_view> split_lines(std::string_view text) {
    std::vector<std::string_view> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) {
            end = text.size();
        }
        lines.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return lines;
}

class Rewriter {
public:
    Rewriter(const Results& results, RewriteResult& out) : results_(results), out_(out) {}

    // One line outside blocks and fences: its inline regions regenerated.
    std::string inline_regions(std::string_view line, std::size_t number) {
        std::string result;
        std::size_t pos = 0;
        for (;;) {
            const std::size_t open = find_outside_code(line, kOpen, pos);
            const std::size_t stray = find_outside_code(line, kClose, pos);
            if (stray != std::string_view::npos &&
                (open == std::string_view::npos || stray < open)) {
                error(number, std::string(kClose), "a closing marker with no region open");
            }
            if (open == std::string_view::npos) {
                result += line.substr(pos);
                return result;
            }
            const std::size_t key_start = open + kOpen.size();
            const std::size_t open_end = line.find(kOpenEnd, key_start);
            if (open_end == std::string_view::npos) {
                error(number, std::string(line.substr(open)), "the marker has no closing ' -->'");
                result += line.substr(pos);
                return result;
            }
            const std::string_view key = line.substr(key_start, open_end - key_start);
            const std::string marker(line.substr(open, open_end + kOpenEnd.size() - open));
            const std::size_t body_start = open_end + kOpenEnd.size();
            if (key.substr(0, kTable.size()) == kTable) {
                error(number, marker, "a table marker must be alone on its line");
                result += line.substr(pos, body_start - pos);
                pos = body_start;
                continue;
            }
            const std::size_t close = line.find(kClose, body_start);
            if (close == std::string_view::npos) {
                error(number, marker, "no '" + std::string(kClose) + "' after it on its line");
                result += line.substr(pos);
                return result;
            }
            ++out_.regions;
            const std::string_view found = line.substr(body_start, close - body_start);
            const Rendered expected = render_field(results_, key);
            result += line.substr(pos, body_start - pos);
            if (!expected.ok) {
                error(number, marker, expected.text);
                result += found;
            } else {
                if (found != expected.text) {
                    out_.differences.push_back(
                        {number, marker, {}, expected.text, std::string(found)});
                }
                result += expected.text;
            }
            result += kClose;
            pos = close + kClose.size();
        }
    }

    // A block whose opening line is lines[i]; appends it regenerated to `result` and returns the
    // index of its closing line (or the last line, when it is not closed).
    std::size_t block(const std::vector<std::string_view>& lines, std::size_t i,
                      std::string& result) {
        const std::string_view opening = trim(lines[i]);
        const std::string marker(opening);
        const std::string_view name =
            opening.substr(kOpen.size() + kTable.size(),
                           opening.size() - kOpen.size() - kTable.size() - kOpenEnd.size());
        std::size_t close = i + 1;
        while (close < lines.size() && trim(lines[close]) != kClose) {
            if (trim(lines[close]).substr(0, kOpen.size()) == kOpen) {
                break; // the next region's opening: this one was never closed
            }
            ++close;
        }
        result += std::string(lines[i]) + "\n";
        if (close == lines.size() || trim(lines[close]) != kClose) {
            error(i + 1, marker, "no '" + std::string(kClose) + "' line closes the table");
            return i;
        }
        ++out_.regions;
        const Rendered expected = render_block(results_, name);
        if (!expected.ok) {
            error(i + 1, marker, expected.text);
            for (std::size_t k = i + 1; k <= close; ++k) {
                result += std::string(lines[k]) + "\n";
            }
            return close;
        }
        const std::vector<std::string_view> want = split_lines(expected.text);
        for (std::size_t k = 0; k < std::max(want.size(), close - i - 1); ++k) {
            const std::string_view have = i + 1 + k < close ? lines[i + 1 + k] : "(nothing)";
            const std::string_view should = k < want.size() ? want[k] : "(nothing)";
            if (have != should) {
                out_.differences.push_back({std::min(i + 1 + k, close) + 1,
                                            marker,
                                            {},
                                            std::string(should),
                                            std::string(have)});
                break;
            }
        }
        result += expected.text + "\n" + std::string(lines[close]) + "\n";
        return close;
    }

private:
    void error(std::size_t line, std::string marker, std::string message) {
        out_.errors.push_back({line, std::move(marker), std::move(message), {}, {}});
    }

    const Results& results_;
    RewriteResult& out_;
};

} // namespace

RewriteResult rewrite_markers(std::string_view document, const Results& results) {
    RewriteResult out;
    Rewriter rewriter(results, out);
    const std::vector<std::string_view> lines = split_lines(document);
    bool in_fence = false;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const std::string_view line = lines[i];
        const std::string_view t = trim(line);
        if (starts_fence(line)) {
            in_fence = !in_fence;
            out.text += std::string(line) + "\n";
        } else if (in_fence) {
            out.text += std::string(line) + "\n";
        } else if (t.substr(0, kOpen.size() + kTable.size()) ==
                       std::string(kOpen) + std::string(kTable) &&
                   t.size() >= kOpen.size() + kTable.size() + kOpenEnd.size() &&
                   t.substr(t.size() - kOpenEnd.size()) == kOpenEnd) {
            i = rewriter.block(lines, i, out.text);
        } else if (t == kClose) {
            out.errors.push_back(
                {i + 1, std::string(kClose), "a closing line with no table open", {}, {}});
            out.text += std::string(line) + "\n";
        } else {
            out.text += rewriter.inline_regions(line, i + 1) + "\n";
        }
    }
    // A document that did not end with a newline keeps it that way.
    if (!document.empty() && document.back() != '\n' && !out.text.empty()) {
        out.text.pop_back();
    }
    return out;
}

} // namespace bench
