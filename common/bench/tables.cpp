// Implementation of tables.hpp.
#include "tables.hpp"

#include "check.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <functional>
#include <optional>
#include <utility>

namespace bench {
namespace {

std::string fixed(double value, int decimals) {
    char text[64];
    std::snprintf(text, sizeof text, "%.*f", decimals, value);
    return text;
}

std::string count(double value) {
    return with_commas(std::llround(value));
}

std::string ms(double value) {
    return count(value) + " ms";
}

// Bytes per request: "315 B", "2.7 KiB", "13 KiB".
std::string bytes(double value) {
    const double size = std::fabs(value);
    if (std::llround(size) < 1024) {
        return count(value) + " B";
    }
    const double kib = value / 1024;
    return std::fabs(kib) < 9.95 ? fixed(kib, 1) + " KiB" : count(kib) + " KiB";
}

// "31", "2.1": one decimal below 10, where a whole number would hide the difference.
std::string ratio(double value) {
    return std::fabs(value) < 9.95 ? fixed(value, 1) : count(value);
}

// A table cell must not contain '|' or a line break.
std::string table_text(std::string_view text, std::size_t max_chars = 200) {
    std::string out;
    for (const char c : text.substr(0, max_chars)) {
        if (c == '|') {
            out += "\\|";
        } else if (c == '\n' || c == '\r') {
            out += ' ';
        } else {
            out += c;
        }
    }
    if (text.size() > max_chars) {
        out += "…";
    }
    return out;
}

// The server row as a cell, so that its figures are asked for like any row's.
Cell server_cell(const ServerRow& s) {
    Cell c;
    c.row = "server";
    c.requests = s.requests;
    c.delay_ms = s.delay_ms;
    c.runs = 1;
    c.ok = 1;
    c.numbers.emplace_back("elapsed_ms", Stat{s.elapsed_ms, std::nullopt, std::nullopt});
    if (s.peak_rss_kib) {
        c.numbers.emplace_back("peak_rss_kib", Stat{*s.peak_rss_kib, std::nullopt, std::nullopt});
    }
    c.numbers.emplace_back("threads", Stat{1, std::nullopt, std::nullopt});
    return c;
}

// The cell ROW/N names, or why there is none usable.
std::optional<Cell> usable_cell(const Results& r, std::string_view row, std::size_t n,
                                std::string& why) {
    const std::string where = std::string(row) + " at " + std::to_string(n) + " requests";
    if (row == "server") {
        if (!r.server || r.server->requests != n) {
            why = "the results file has no server row at " + std::to_string(n) + " requests";
            return std::nullopt;
        }
        return server_cell(*r.server);
    }
    const Cell* cell = find_cell(r.cells, row, n);
    if (cell == nullptr) {
        why = "the results file has no " + where;
    } else if (!cell->not_run.empty()) {
        why = where + " was not run";
    } else if (cell->ok == 0) {
        why = where + ": every run failed";
    } else {
        return *cell;
    }
    return std::nullopt;
}

// A field's number and how to write it.
struct Figure {
    double value = 0;
    std::function<std::string(double)> format;
};

// FIELD of `cell` as a number; nullopt (and `why`) when the field is unknown or missing.
std::optional<Figure> numeric_field(const Cell& cell, std::string_view field, std::string& why) {
    const double n = static_cast<double>(cell.requests);
    const auto need = [&](std::string_view key) -> std::optional<double> {
        const auto m = cell.median(key);
        if (!m) {
            why = cell.row + " at " + std::to_string(cell.requests) + " has no " + std::string(key);
        }
        return m;
    };
    std::optional<double> v;
    if (field == "elapsed") {
        if ((v = need("elapsed_ms")))
            return Figure{*v, ms};
    } else if (field == "over_delay") {
        if ((v = need("elapsed_ms")))
            return Figure{*v - static_cast<double>(cell.delay_ms), ms};
    } else if (field == "rss") {
        if ((v = need("peak_rss_kib")))
            return Figure{*v, mib};
    } else if (field == "rss_per_request") {
        if ((v = need("peak_rss_kib")))
            return Figure{*v * 1024 / n, bytes};
    } else if (field == "threads" || field == "polls" || field == "wakes") {
        if ((v = need(field)))
            return Figure{*v, count};
    } else if (field == "polls_per_request") {
        if ((v = need("polls")))
            return Figure{*v / n, ratio};
    } else if (const auto m = cell.median(field)) {
        return Figure{*m, count};
    } else if (!cell.text(field)) {
        why = "unknown field '" + std::string(field) +
              "' (elapsed, range, over_delay, rss, rss_per_request, threads, polls, wakes, "
              "polls_per_request, or a key of " +
              cell.row + "'s summary line)";
    }
    return std::nullopt;
}

std::optional<std::size_t> to_size(std::string_view text) {
    std::size_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

// The rows in the order the file lists them.
std::vector<std::string> rows_of(const Results& r) {
    std::vector<std::string> rows;
    for (const Cell& c : r.cells) {
        if (std::find(rows.begin(), rows.end(), c.row) == rows.end()) {
            rows.push_back(c.row);
        }
    }
    return rows;
}

std::vector<std::size_t> sizes_of(const Results& r) {
    std::vector<std::size_t> sizes;
    for (const Cell& c : r.cells) {
        if (std::find(sizes.begin(), sizes.end(), c.requests) == sizes.end()) {
            sizes.push_back(c.requests);
        }
    }
    std::sort(sizes.begin(), sizes.end());
    return sizes;
}

// The largest size at which some row has figures (a size nobody ran says nothing).
std::size_t largest_measured(const Results& r) {
    std::size_t largest = 0;
    for (const Cell& c : r.cells) {
        if (c.not_run.empty() && c.ok > 0) {
            largest = std::max(largest, c.requests);
        }
    }
    return largest;
}

std::string median_count(const Cell& cell, std::string_view key) {
    const auto m = cell.median(key);
    return m ? count(*m) : "—";
}

// Keys every summary line has or the table shows in their own columns; the rest go to "other".
bool shown_in_own_column(std::string_view key) {
    return key == "elapsed_ms" || key == "peak_rss_kib" || key == "threads" || key == "polls";
}

// Medians of the keys a chapter adds beyond the common ones ("wakes 96, spawn_ms 365").
std::string other_keys(const Cell& cell) {
    std::string out;
    for (const auto& [key, stat] : cell.numbers) {
        if (!shown_in_own_column(key)) {
            out += (out.empty() ? "" : ", ") + key + " " + count(stat.median);
        }
    }
    for (const auto& [key, text] : cell.texts) {
        out += (out.empty() ? "" : ", ") + key + " " + text;
    }
    return table_text(out);
}

// The reason a cell has no figures, or "" when it has some.
std::string no_figures(const Cell& cell) {
    if (!cell.not_run.empty()) {
        return "not run: " + table_text(cell.not_run);
    }
    if (cell.ok == 0) {
        return "**" +
               (cell.runs == 1 ? std::string("the run failed")
                               : "all " + std::to_string(cell.runs) + " runs failed") +
               "**: " + table_text(cell.failure);
    }
    return {};
}

std::string full_table(const Results& r) {
    std::string out =
        "| row | requests | delay | elapsed (median; min–max) | elapsed ÷ delay | peak RSS | "
        "threads | polls | other keys (median) | runs |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---|\n";
    for (const Cell& cell : r.cells) {
        out += "| " + row_label(cell.row) + " | " +
               with_commas(static_cast<long long>(cell.requests)) + " | " +
               with_commas(cell.delay_ms) + " ms | ";
        const Stat* elapsed = cell.stat("elapsed_ms");
        if (const std::string why = no_figures(cell); !why.empty() || elapsed == nullptr) {
            out += "— | — | — | — | — | | " + (why.empty() ? "no elapsed_ms" : why) + " |\n";
            continue;
        }
        out += ms(elapsed->median);
        if (elapsed->min && elapsed->max) {
            out += " (" + count(*elapsed->min) + "–" + count(*elapsed->max) + ")";
        }
        out += " | " + fixed(elapsed->median / static_cast<double>(cell.delay_ms), 2) + " | " +
               mib(cell.median("peak_rss_kib").value_or(0)) + " | " +
               median_count(cell, "threads") + " | " + median_count(cell, "polls") + " | " +
               other_keys(cell) + " | ";
        if (cell.all_ok()) {
            out += std::to_string(cell.runs) + " ok |\n";
        } else {
            out += "**" + std::to_string(cell.runs - cell.ok) + " of " + std::to_string(cell.runs) +
                   " failed** (medians of the rest): " + table_text(cell.failure) + " |\n";
        }
    }
    if (r.server) {
        const ServerRow& s = *r.server;
        out += "| **delay server** | " + with_commas(static_cast<long long>(s.requests)) + " | " +
               with_commas(s.delay_ms) + " ms | " + ms(s.elapsed_ms) + " | " +
               fixed(s.elapsed_ms / static_cast<double>(s.delay_ms), 2) + " | " +
               (s.peak_rss_kib ? mib(*s.peak_rss_kib) : std::string("—")) +
               " | 1 | — | | time as measured by its fastest client (" + s.timed_by +
               "): the server served " + with_commas(static_cast<long long>(s.requests)) +
               " concurrent clients in at most that; peak RSS is the server process's own, "
               "over the whole benchmark |\n";
    }
    out.pop_back(); // the block ends without a newline
    return out;
}

std::string summary_label(const Results& r, const std::string& row) {
    if (row == "asio") {
        for (const Cell& c : r.cells) {
            if (c.row == "asio" && c.text("asio")) {
                return "asio " + std::string(*c.text("asio")) +
                       " (reference client, C++20 coroutines)";
            }
        }
        return "asio (reference client, C++20 coroutines)";
    }
    return row_label(row);
}

std::string summary_table(const Results& r) {
    const std::vector<std::size_t> sizes = sizes_of(r);
    if (sizes.empty()) {
        return "(the results file has no cells)";
    }
    const std::size_t largest = largest_measured(r);
    const std::string at = with_commas(static_cast<long long>(largest));
    std::string out = "| chapter |";
    std::string rule = "|---|";
    for (const std::size_t n : sizes) {
        // Appended piece by piece: `" " + std::string` here makes g++ 12 warn, falsely, about
        // overlapping copies (-Wrestrict) in Release builds.
        out += ' ';
        out += with_commas(static_cast<long long>(n));
        out += " requests |";
        rule += "---:|";
    }
    out += " peak RSS at " + at + " | threads at " + at + " | polls at " + at + " |\n";
    out += rule + "---:|---:|---:|\n";
    for (const std::string& row : rows_of(r)) {
        if (is_control_row(row)) {
            continue; // the full table shows the controls; this one is about the layers
        }
        out += "| " + summary_label(r, row) + " |";
        for (const std::size_t n : sizes) {
            const Cell* cell = find_cell(r.cells, row, n);
            if (cell == nullptr) {
                out += " |";
            } else if (!cell->not_run.empty()) {
                out += " not run |";
            } else if (cell->ok == 0 || !cell->median("elapsed_ms")) {
                out += " failed |";
            } else {
                out += " " + ms(*cell->median("elapsed_ms")) +
                       (cell->all_ok() ? "" : " (some runs failed)") + " |";
            }
        }
        const Cell* big = find_cell(r.cells, row, largest);
        const bool usable = big != nullptr && big->not_run.empty() && big->ok > 0;
        out += " " +
               (usable && big->median("peak_rss_kib") ? mib(*big->median("peak_rss_kib"))
                                                      : std::string("—")) +
               " | " + (usable ? median_count(*big, "threads") : "—") + " | " +
               (usable ? median_count(*big, "polls") : "—") + " |\n";
    }
    if (r.server) {
        const ServerRow& s = *r.server;
        out += "| the delay server itself |";
        for (const std::size_t n : sizes) {
            out += n == s.requests ? " " + ms(s.elapsed_ms) + " (as timed by its fastest client, " +
                                         s.timed_by + ") |"
                                   : " |";
        }
        out += " " + (s.peak_rss_kib ? mib(*s.peak_rss_kib) : std::string("—")) + " | 1 | — |\n";
    }
    out.pop_back();
    return out;
}

std::string run_paragraph(const Results& r) {
    int runs = 0;
    int ok = 0;
    long delay_ms = 0;
    for (const Cell& c : r.cells) {
        runs += c.runs;
        ok += c.ok;
        delay_ms = c.delay_ms;
    }
    std::string out =
        "Measured " + r.date + " on " + r.machine + "; " + r.build +
        "; the 1-minute load average was " + fixed(r.load_average, 1) +
        " when the run started. Each figure is the median of " + std::to_string(r.runs) +
        (r.runs == 1 ? " run" : " runs") + " (" +
        (ok == runs ? "all " + std::to_string(runs) + " runs succeeded"
                    : std::to_string(runs - ok) + " of " + std::to_string(runs) + " runs failed") +
        "); each run is N concurrent `GET /" + std::to_string(delay_ms) +
        "/load-i` against one external `delayserver --quiet`, every body checked. "
        "Command: `" +
        r.command + "`.";
    for (const std::string& note : r.notes) {
        out += "\n\n" + note;
    }
    return out;
}

std::string check_block(const Results& r) {
    const std::size_t largest = largest_measured(r);
    long delay_ms = 0;
    for (const Cell& c : r.cells) {
        delay_ms = c.delay_ms;
    }
    int missed = 0;
    return "```text\n" + check_text(r.cells, largest, delay_ms, missed) + "\n```";
}

// "ch05-ch04" as the two rows whose difference it asks for. A row's own name may hold a dash
// ("ch04-notrace"), so the split taken is the one whose sides are both row names
// ("ch04-ch04-notrace": ch04 minus ch04-notrace). nullopt for a row name, or no such split.
std::optional<std::pair<std::string_view, std::string_view>> difference_of(std::string_view row) {
    if (is_row_name(row)) {
        return std::nullopt;
    }
    for (std::size_t dash = row.find('-'); dash != std::string_view::npos;
         dash = row.find('-', dash + 1)) {
        if (is_row_name(row.substr(0, dash)) && is_row_name(row.substr(dash + 1))) {
            return std::pair{row.substr(0, dash), row.substr(dash + 1)};
        }
    }
    return std::nullopt;
}

} // namespace

Rendered render_field(const Results& r, std::string_view key) {
    const std::size_t slash1 = key.find('/');
    const std::size_t slash2 =
        slash1 == std::string_view::npos ? slash1 : key.find('/', slash1 + 1);
    if (slash2 == std::string_view::npos) {
        return {false, "expected ROW/N/FIELD, got '" + std::string(key) + "'"};
    }
    const std::string_view row = key.substr(0, slash1);
    const std::string_view field = key.substr(slash2 + 1);
    const auto n = to_size(key.substr(slash1 + 1, slash2 - slash1 - 1));
    if (!n) {
        return {false, "N must be a request count, got '" +
                           std::string(key.substr(slash1 + 1, slash2 - slash1 - 1)) + "'"};
    }
    std::string why;
    if (const auto pair = difference_of(row)) {
        // A-B: the difference of two rows' figures.
        const auto a = usable_cell(r, pair->first, *n, why);
        const auto b = a ? usable_cell(r, pair->second, *n, why) : std::nullopt;
        if (!a || !b) {
            return {false, why};
        }
        const auto fa = numeric_field(*a, field, why);
        const auto fb = fa ? numeric_field(*b, field, why) : std::nullopt;
        if (!fa || !fb) {
            return {false, why.empty() ? "'" + std::string(field) +
                                             "' is not a number, so it has no difference"
                                       : why};
        }
        return {true, fa->format(fa->value - fb->value)};
    }
    const auto cell = usable_cell(r, row, *n, why);
    if (!cell) {
        return {false, why};
    }
    if (field == "range") {
        const Stat* s = cell->stat("elapsed_ms");
        if (s == nullptr || !s->min || !s->max) {
            return {false, std::string(row) + " at " + std::to_string(*n) +
                               " has no elapsed range in the results file"};
        }
        return {true, count(*s->min) + "–" + ms(*s->max)};
    }
    if (const auto f = numeric_field(*cell, field, why)) {
        return {true, f->format(f->value)};
    }
    if (why.empty()) { // a text key
        return {true, std::string(*cell->text(field))};
    }
    return {false, why};
}

std::string_view block_names() {
    return "summary, full, check, run";
}

Rendered render_block(const Results& r, std::string_view name) {
    if (name == "summary") {
        return {true, summary_table(r)};
    }
    if (name == "full") {
        return {true, full_table(r)};
    }
    if (name == "check") {
        return {true, check_block(r)};
    }
    if (name == "run") {
        return {true, run_paragraph(r)};
    }
    return {false,
            "unknown table '" + std::string(name) + "' (" + std::string(block_names()) + ")"};
}

} // namespace bench
