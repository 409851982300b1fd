// Implementation of results.hpp: medians and the markdown table.
#include "results.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

namespace bench {
namespace {

// Keys every summary line has, shown in their own columns; any other key goes to "other".
const std::set<std::string, std::less<>> kShownKeys = {
    "chapter", "requests", "delay_ms", "ok", "elapsed_ms", "peak_rss_kib", "threads", "polls"};

std::string fixed(double value, int decimals) {
    char text[64];
    std::snprintf(text, sizeof text, "%.*f", decimals, value);
    return text;
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

std::string median_count(const Cell& cell, std::string_view key) {
    const auto m = cell.median(key);
    return m ? with_commas(std::llround(*m)) : "—";
}

// Medians of the keys a chapter adds beyond the common ones ("wakes 6, spawn_ms 35").
std::string other_keys(const Cell& cell) {
    std::vector<std::string> keys;
    for (const RunOutcome& run : cell.runs) {
        if (!run.ok || !run.summary) {
            continue;
        }
        for (const auto& [key, value] : run.summary->fields) {
            if (!kShownKeys.contains(key) &&
                std::find(keys.begin(), keys.end(), key) == keys.end()) {
                keys.push_back(key);
            }
        }
    }
    std::string out;
    for (const std::string& key : keys) {
        // A number is shown as its median; text (a version) as the first run printed it.
        std::string value;
        if (const auto m = cell.median(key)) {
            value = with_commas(std::llround(*m));
        } else {
            for (const RunOutcome& run : cell.runs) {
                if (run.ok && run.summary && run.summary->get(key)) {
                    value = std::string(*run.summary->get(key));
                    break;
                }
            }
        }
        out += (out.empty() ? "" : ", ") + key + " " + value;
    }
    return out.empty() ? "" : table_text(out);
}

} // namespace

std::size_t Cell::ok_runs() const {
    return static_cast<std::size_t>(
        std::count_if(runs.begin(), runs.end(), [](const RunOutcome& r) { return r.ok; }));
}

std::vector<double> Cell::values(std::string_view key) const {
    std::vector<double> out;
    for (const RunOutcome& run : runs) {
        if (run.ok && run.summary) {
            if (const auto v = run.summary->number(key)) {
                out.push_back(*v);
            }
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::optional<double> Cell::median(std::string_view key) const {
    const std::vector<double> v = values(key);
    if (v.empty()) {
        return std::nullopt;
    }
    const std::size_t mid = v.size() / 2;
    return v.size() % 2 == 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

std::string Cell::first_failure() const {
    for (const RunOutcome& run : runs) {
        if (!run.ok) {
            return run.failure;
        }
    }
    return {};
}

std::string with_commas(long long value) {
    // Built digit by digit rather than with std::string::insert, on which g++ 12 -O2 warns
    // falsely (-Wrestrict).
    const std::string digits = std::to_string(value < 0 ? -value : value);
    std::string out = value < 0 ? "-" : "";
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) {
            out += ',';
        }
        out += digits[i];
    }
    return out;
}

std::string row_label(std::string_view row) {
    if (row == "ch01")
        return "ch01 threads";
    if (row == "ch02")
        return "ch02 epoll";
    if (row == "ch03")
        return "ch03 leaf futures";
    if (row == "ch04")
        return "ch04 executor";
    if (row == "ch05")
        return "ch05 coroutines";
    if (row == "asio")
        return "asio (reference)";
    return std::string(row);
}

std::string mib(double kib) {
    return fixed(kib / 1024.0, 1) + " MiB";
}

const Cell* find_cell(const std::vector<Cell>& cells, std::string_view row, std::size_t requests) {
    for (const Cell& cell : cells) {
        if (cell.row == row && cell.requests == requests) {
            return &cell;
        }
    }
    return nullptr;
}

const Cell* fastest_at_largest_size(const std::vector<Cell>& cells) {
    std::size_t largest = 0;
    for (const Cell& cell : cells) {
        if (cell.all_ok()) {
            largest = std::max(largest, cell.requests);
        }
    }
    const Cell* fastest = nullptr;
    for (const Cell& cell : cells) {
        if (cell.requests == largest && cell.all_ok() &&
            (fastest == nullptr || *cell.median("elapsed_ms") < *fastest->median("elapsed_ms"))) {
            fastest = &cell;
        }
    }
    return fastest;
}

std::string markdown_table(const Report& report) {
    std::string out =
        "| row | requests | delay | elapsed (median; min–max) | elapsed ÷ delay | peak RSS | "
        "threads | polls | other keys (median) | runs |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---|\n";
    for (const Cell& cell : report.cells) {
        out += "| " + row_label(cell.row) + " | " +
               with_commas(static_cast<long long>(cell.requests)) + " | " +
               with_commas(cell.delay_ms) + " ms | ";
        if (!cell.not_run.empty()) {
            out += "— | — | — | — | — | | not run: " + table_text(cell.not_run) + " |\n";
            continue;
        }
        const std::vector<double> elapsed = cell.values("elapsed_ms");
        if (elapsed.empty()) {
            out += "— | — | — | — | — | | **" +
                   (cell.runs.size() == 1
                        ? std::string("the run failed")
                        : "all " + std::to_string(cell.runs.size()) + " runs failed") +
                   "**: " + table_text(cell.first_failure()) + " |\n";
            continue;
        }
        const double med = *cell.median("elapsed_ms");
        out +=
            with_commas(std::llround(med)) + " ms (" + with_commas(std::llround(elapsed.front())) +
            "–" + with_commas(std::llround(elapsed.back())) + ") | " +
            fixed(med / static_cast<double>(cell.delay_ms), 2) + " | " +
            mib(cell.median("peak_rss_kib").value_or(0)) + " | " + median_count(cell, "threads") +
            " | " + median_count(cell, "polls") + " | " + other_keys(cell) + " | ";
        if (cell.all_ok()) {
            out += std::to_string(cell.runs.size()) + " ok |\n";
        } else {
            out += "**" + std::to_string(cell.runs.size() - cell.ok_runs()) + " of " +
                   std::to_string(cell.runs.size()) +
                   " failed** (medians of the rest): " + table_text(cell.first_failure()) + " |\n";
        }
    }

    // The delay server's own figure. It cannot time itself from outside, so its time is the
    // fastest client's: whatever that client measured, the server kept up with.
    if (const Cell* fastest = fastest_at_largest_size(report.cells)) {
        const double med = *fastest->median("elapsed_ms");
        out += "| **delay server** | " + with_commas(static_cast<long long>(fastest->requests)) +
               " | " + with_commas(fastest->delay_ms) + " ms | " + with_commas(std::llround(med)) +
               " ms | " + fixed(med / static_cast<double>(fastest->delay_ms), 2) + " | " +
               (report.server_peak_rss_kib ? mib(static_cast<double>(*report.server_peak_rss_kib))
                                           : std::string("—")) +
               " | 1 | — | | time as measured by its fastest client (" + fastest->row +
               "): the server served " + with_commas(static_cast<long long>(fastest->requests)) +
               " concurrent clients in at most that; peak RSS is the server process's own, "
               "over the whole benchmark |\n";
    }
    for (const std::string& note : report.notes) {
        out += "\n" + note + "\n";
    }
    return out;
}

} // namespace bench
