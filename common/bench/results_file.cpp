// Implementation of results_file.hpp.
#include "results_file.hpp"

#include <charconv>
#include <stdexcept>
#include <system_error>

namespace bench {
namespace {

constexpr std::string_view kFormat = "bench-results 1";

constexpr std::string_view kHeader =
    "# Benchmark results: every chapter's load mode against one external delay server\n"
    "# (common/bench/README.md). Written by the benchmark driver on every full run\n"
    "# (common/scripts/bench.sh); the READMEs' benchmark figures are generated from this file\n"
    "# with `common/scripts/bench.sh --update-docs`, and the test common/bench-docs-in-step\n"
    "# fails when one of them differs from it.\n"
    "# cell: one row at one size; key=MEDIAN[MIN..MAX] over the runs that succeeded (MEDIAN\n"
    "# alone where the range is not known), in the summary lines' units: elapsed_ms in ms,\n"
    "# peak_rss_kib in KiB. server: the delay server's row (its time is its fastest client's).\n";

// The shortest text that reads back as the same double ("1337", "4300.8").
std::string number_text(double value) {
    char text[64];
    const auto [end, ec] = std::to_chars(text, text + sizeof text, value);
    return ec == std::errc{} ? std::string(text, end) : std::string("nan");
}

std::string stat_text(const Stat& s) {
    std::string out = number_text(s.median);
    if (s.min && s.max) {
        out += "[" + number_text(*s.min) + ".." + number_text(*s.max) + "]";
    }
    return out;
}

// A cell's and the server's free text must stay on its line.
std::string one_line(std::string_view text) {
    std::string out;
    for (const char c : text) {
        out += (c == '\n' || c == '\r') ? ' ' : c;
    }
    return out;
}

[[noreturn]] void fail(std::size_t line, const std::string& what) {
    throw std::runtime_error("line " + std::to_string(line) + ": " + what);
}

std::optional<double> to_number(std::string_view text) {
    double value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

double number_or_fail(std::size_t line, std::string_view key, std::string_view text) {
    const auto value = to_number(text);
    if (!value) {
        fail(line, std::string(key) + ": expected a number, got '" + std::string(text) + "'");
    }
    return *value;
}

// "1337" or "1337[1327..1349]" as a Stat; nullopt when it is neither (a text value).
std::optional<Stat> to_stat(std::string_view text) {
    const std::size_t open = text.find('[');
    if (open == std::string_view::npos) {
        const auto m = to_number(text);
        return m ? std::optional<Stat>(Stat{*m, std::nullopt, std::nullopt}) : std::nullopt;
    }
    const std::size_t dots = text.find("..", open);
    if (text.back() != ']' || dots == std::string_view::npos) {
        return std::nullopt;
    }
    const auto m = to_number(text.substr(0, open));
    const auto lo = to_number(text.substr(open + 1, dots - open - 1));
    const auto hi = to_number(text.substr(dots + 2, text.size() - 1 - (dots + 2)));
    if (!m || !lo || !hi) {
        return std::nullopt;
    }
    return Stat{*m, *lo, *hi};
}

std::vector<std::pair<std::string, std::string>> key_values(std::size_t line,
                                                            std::string_view rest) {
    std::vector<std::pair<std::string, std::string>> out;
    while (!rest.empty()) {
        const std::size_t space = rest.find(' ');
        const std::string_view token = rest.substr(0, space);
        rest = space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
        if (token.empty()) {
            continue;
        }
        const std::size_t eq = token.find('=');
        if (eq == std::string_view::npos || eq == 0) {
            fail(line, "expected key=value, got '" + std::string(token) + "'");
        }
        out.emplace_back(std::string(token.substr(0, eq)), std::string(token.substr(eq + 1)));
    }
    return out;
}

// "ch01 20000 the text" -> the cell it names and the text.
Cell& cell_of(std::size_t line, Results& r, std::string_view rest, std::string& text) {
    const std::size_t a = rest.find(' ');
    const std::size_t b = a == std::string_view::npos ? a : rest.find(' ', a + 1);
    if (b == std::string_view::npos) {
        fail(line, "expected ROW N TEXT");
    }
    const std::string_view row = rest.substr(0, a);
    const double n = number_or_fail(line, "N", rest.substr(a + 1, b - a - 1));
    for (Cell& cell : r.cells) {
        if (cell.row == row && static_cast<double>(cell.requests) == n) {
            text = std::string(rest.substr(b + 1));
            return cell;
        }
    }
    fail(line, "no cell line for " + std::string(row) + " at " + number_text(n) + " before this");
}

} // namespace

std::string write_results(const Results& r) {
    std::string out(kHeader);
    out += "format: " + std::string(kFormat) + "\n";
    out += "date: " + one_line(r.date) + "\n";
    out += "command: " + one_line(r.command) + "\n";
    out += "machine: " + one_line(r.machine) + "\n";
    out += "build: " + one_line(r.build) + "\n";
    out += "load_average: " + number_text(r.load_average) + "\n";
    out += "runs: " + std::to_string(r.runs) + "\n";
    for (const std::string& note : r.notes) {
        out += "note: " + one_line(note) + "\n";
    }
    for (const Cell& c : r.cells) {
        out += "cell: row=" + c.row + " requests=" + std::to_string(c.requests) +
               " delay_ms=" + std::to_string(c.delay_ms) + " runs=" + std::to_string(c.runs) +
               " ok=" + std::to_string(c.ok);
        for (const auto& [key, stat] : c.numbers) {
            out += " " + key + "=" + stat_text(stat);
        }
        for (const auto& [key, text] : c.texts) {
            out += " " + key + "=" + text;
        }
        out += "\n";
        if (!c.not_run.empty()) {
            out += "not_run: " + c.row + " " + std::to_string(c.requests) + " " +
                   one_line(c.not_run) + "\n";
        }
        if (!c.failure.empty()) {
            out += "failure: " + c.row + " " + std::to_string(c.requests) + " " +
                   one_line(c.failure) + "\n";
        }
    }
    if (r.server) {
        const ServerRow& s = *r.server;
        out += "server: requests=" + std::to_string(s.requests) +
               " delay_ms=" + std::to_string(s.delay_ms) +
               " elapsed_ms=" + number_text(s.elapsed_ms) + " timed_by=" + s.timed_by;
        if (s.peak_rss_kib) {
            out += " peak_rss_kib=" + number_text(*s.peak_rss_kib);
        }
        out += "\n";
    }
    return out;
}

Results parse_results(std::string_view text) {
    Results r;
    bool format_seen = false;
    std::size_t line_number = 0;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) {
            end = text.size();
        }
        const std::string_view line = text.substr(start, end - start);
        start = end + 1;
        ++line_number;
        if (line.empty() || line.front() == '#') {
            continue;
        }
        const std::size_t colon = line.find(": ");
        if (colon == std::string_view::npos) {
            fail(line_number, "expected 'key: value', got '" + std::string(line) + "'");
        }
        const std::string_view kind = line.substr(0, colon);
        const std::string_view rest = line.substr(colon + 2);
        if (!format_seen) {
            if (kind != "format" || rest != kFormat) {
                fail(line_number, "expected 'format: " + std::string(kFormat) + "' first");
            }
            format_seen = true;
        } else if (kind == "date") {
            r.date = rest;
        } else if (kind == "command") {
            r.command = rest;
        } else if (kind == "machine") {
            r.machine = rest;
        } else if (kind == "build") {
            r.build = rest;
        } else if (kind == "load_average") {
            r.load_average = number_or_fail(line_number, kind, rest);
        } else if (kind == "runs") {
            r.runs = static_cast<int>(number_or_fail(line_number, kind, rest));
        } else if (kind == "note") {
            r.notes.emplace_back(rest);
        } else if (kind == "cell") {
            Cell c;
            bool row_seen = false;
            bool requests_seen = false;
            for (const auto& [key, value] : key_values(line_number, rest)) {
                if (key == "row") {
                    c.row = value;
                    row_seen = true;
                } else if (key == "requests") {
                    c.requests = static_cast<std::size_t>(number_or_fail(line_number, key, value));
                    requests_seen = true;
                } else if (key == "delay_ms") {
                    c.delay_ms = static_cast<long>(number_or_fail(line_number, key, value));
                } else if (key == "runs") {
                    c.runs = static_cast<int>(number_or_fail(line_number, key, value));
                } else if (key == "ok") {
                    c.ok = static_cast<int>(number_or_fail(line_number, key, value));
                } else if (const auto stat = to_stat(value)) {
                    c.numbers.emplace_back(key, *stat);
                } else {
                    c.texts.emplace_back(key, value);
                }
            }
            if (!row_seen || !requests_seen) {
                fail(line_number, "a cell needs row= and requests=");
            }
            if (find_cell(r.cells, c.row, c.requests) != nullptr) {
                fail(line_number,
                     "a second cell for " + c.row + " at " + std::to_string(c.requests));
            }
            r.cells.push_back(std::move(c));
        } else if (kind == "not_run") {
            std::string why;
            Cell& c = cell_of(line_number, r, rest, why);
            c.not_run = why;
        } else if (kind == "failure") {
            std::string why;
            Cell& c = cell_of(line_number, r, rest, why);
            c.failure = why;
        } else if (kind == "server") {
            ServerRow s;
            for (const auto& [key, value] : key_values(line_number, rest)) {
                if (key == "requests") {
                    s.requests = static_cast<std::size_t>(number_or_fail(line_number, key, value));
                } else if (key == "delay_ms") {
                    s.delay_ms = static_cast<long>(number_or_fail(line_number, key, value));
                } else if (key == "elapsed_ms") {
                    s.elapsed_ms = number_or_fail(line_number, key, value);
                } else if (key == "timed_by") {
                    s.timed_by = value;
                } else if (key == "peak_rss_kib") {
                    s.peak_rss_kib = number_or_fail(line_number, key, value);
                } else {
                    fail(line_number, "server: unknown key '" + key + "'");
                }
            }
            r.server = s;
        } else {
            fail(line_number, "unknown line kind '" + std::string(kind) + "'");
        }
    }
    if (!format_seen) {
        throw std::runtime_error("no 'format: " + std::string(kFormat) +
                                 "' line: not a results file");
    }
    return r;
}

} // namespace bench
