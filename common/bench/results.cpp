// Implementation of results.hpp: from runs to medians and ranges.
#include "results.hpp"

#include <algorithm>
#include <cstdio>

namespace bench {
namespace {

// The keys that say which cell a summary line belongs to, not what it measured.
bool identifying(std::string_view key) {
    return key == "chapter" || key == "requests" || key == "delay_ms" || key == "ok";
}

double median_of_sorted(const std::vector<double>& v) {
    const std::size_t mid = v.size() / 2;
    return v.size() % 2 == 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

} // namespace

const Stat* Cell::stat(std::string_view key) const {
    for (const auto& [k, s] : numbers) {
        if (k == key) {
            return &s;
        }
    }
    return nullptr;
}

std::optional<double> Cell::median(std::string_view key) const {
    const Stat* s = stat(key);
    return s ? std::optional<double>(s->median) : std::nullopt;
}

std::optional<std::string_view> Cell::text(std::string_view key) const {
    for (const auto& [k, v] : texts) {
        if (k == key) {
            return std::string_view(v);
        }
    }
    return std::nullopt;
}

Cell summarize(std::string row, std::size_t requests, long delay_ms,
               const std::vector<RunOutcome>& runs) {
    Cell cell;
    cell.row = std::move(row);
    cell.requests = requests;
    cell.delay_ms = delay_ms;
    cell.runs = static_cast<int>(runs.size());
    // The keys in the order the first successful run printed them (later runs' new keys after).
    std::vector<std::string> keys;
    for (const RunOutcome& run : runs) {
        if (!run.ok) {
            if (cell.failure.empty()) {
                cell.failure = run.failure;
            }
            continue;
        }
        ++cell.ok;
        for (const auto& [key, value] : run.summary->fields) {
            if (!identifying(key) && std::find(keys.begin(), keys.end(), key) == keys.end()) {
                keys.push_back(key);
            }
        }
    }
    for (const std::string& key : keys) {
        std::vector<double> values;
        std::optional<std::string> text;
        for (const RunOutcome& run : runs) {
            if (!run.ok) {
                continue;
            }
            if (const auto v = run.summary->number(key)) {
                values.push_back(*v);
            } else if (const auto t = run.summary->get(key); t && !text) {
                text = std::string(*t);
            }
        }
        if (!values.empty()) {
            std::sort(values.begin(), values.end());
            cell.numbers.emplace_back(
                key, Stat{median_of_sorted(values), values.front(), values.back()});
        } else if (text) {
            cell.texts.emplace_back(key, *text);
        }
    }
    return cell;
}

std::optional<ServerRow> server_row(const std::vector<Cell>& all_cells,
                                    std::optional<double> server_peak_rss_kib) {
    std::vector<Cell> cells;
    for (const Cell& cell : all_cells) {
        if (!is_control_row(cell.row)) {
            cells.push_back(cell);
        }
    }
    std::size_t largest = 0;
    for (const Cell& cell : cells) {
        if (cell.all_ok() && cell.median("elapsed_ms")) {
            largest = std::max(largest, cell.requests);
        }
    }
    const Cell* fastest = nullptr;
    for (const Cell& cell : cells) {
        if (cell.requests == largest && cell.all_ok() && cell.median("elapsed_ms") &&
            (fastest == nullptr || *cell.median("elapsed_ms") < *fastest->median("elapsed_ms"))) {
            fastest = &cell;
        }
    }
    if (fastest == nullptr) {
        return std::nullopt;
    }
    return ServerRow{fastest->requests, fastest->delay_ms, *fastest->median("elapsed_ms"),
                     fastest->row, server_peak_rss_kib};
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

const std::vector<std::string>& row_names() {
    static const std::vector<std::string> names = {"ch01",         "ch02",        "ch03",   "ch04",
                                                   "uring",        "ch05",        "fibers", "asio",
                                                   "ch04-notrace", "ch05-notrace"};
    return names;
}

bool is_row_name(std::string_view row) {
    return row == "server" ||
           std::find(row_names().begin(), row_names().end(), row) != row_names().end();
}

bool is_control_row(std::string_view row) {
    return row.ends_with("-notrace");
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
    if (row == "uring")
        return "ch04 io_uring";
    if (row == "ch05")
        return "ch05 coroutines";
    if (row == "fibers")
        return "ch05 fibers";
    if (row == "asio")
        return "asio (reference)";
    if (row == "ch04-notrace")
        return "ch04, trace hooks compiled out";
    if (row == "ch05-notrace")
        return "ch05, trace hooks compiled out";
    return std::string(row);
}

std::string mib(double kib) {
    char text[64];
    std::snprintf(text, sizeof text, "%.1f MiB", kib / 1024.0);
    return text;
}

const Cell* find_cell(const std::vector<Cell>& cells, std::string_view row, std::size_t requests) {
    for (const Cell& cell : cells) {
        if (cell.row == row && cell.requests == requests) {
            return &cell;
        }
    }
    return nullptr;
}

} // namespace bench
