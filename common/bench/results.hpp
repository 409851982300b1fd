// What the benchmark driver measured, and the markdown table it prints: one Cell per row and
// workload (ch02 at 10,000 × 1000 ms, say) holding every run, medians taken over the runs that
// succeeded. Part of the driver in common/bench; the chart (svg_chart.hpp) and the figure checks
// (check.hpp) read the same cells.
#pragma once

#include "summary_line.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bench {

// How one run went. `ok` only when the program exited 0 and its summary says every request
// was answered; otherwise `failure` says why, and the run counts in no median.
struct RunOutcome {
    bool ok = false;
    std::string failure;
    std::optional<SummaryLine> summary; // also kept for failed runs that printed one
};

struct Cell {
    std::string row; // "ch01" ... "ch05", "asio"
    std::size_t requests = 0;
    long delay_ms = 0;
    std::string not_run; // why this size was not run for this row ("" when it was)
    std::vector<RunOutcome> runs;

    std::size_t ok_runs() const;
    bool all_ok() const { return not_run.empty() && !runs.empty() && ok_runs() == runs.size(); }
    // A summary key's values over the successful runs, sorted; empty when none had it.
    std::vector<double> values(std::string_view key) const;
    std::optional<double> median(std::string_view key) const;
    std::string first_failure() const; // "" when every run succeeded
};

// The pieces of the results document around the cells.
struct Report {
    std::vector<Cell> cells;                 // in row order, then size
    std::vector<std::string> notes;          // rows that were not run at all, and why
    std::optional<long> server_peak_rss_kib; // the delay server's own peak, whole benchmark
    int runs = 0;                            // runs per cell
};

// "10,000"
std::string with_commas(long long value);
// "ch02 epoll", "asio (reference)": a row's name with the layer it adds, for tables and legends.
std::string row_label(std::string_view row);
// "5.2 MiB" from KiB.
std::string mib(double kib);

const Cell* find_cell(const std::vector<Cell>& cells, std::string_view row, std::size_t requests);

// The delay server's capacity row: at the largest size measured, the fastest row whose runs all
// succeeded. nullptr when there is none.
const Cell* fastest_at_largest_size(const std::vector<Cell>& cells);

// The markdown table (header, one line per cell, the delay server's row) followed by the notes.
std::string markdown_table(const Report& report);

} // namespace bench
