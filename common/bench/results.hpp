// What one benchmark run measured, reduced to what the results file keeps: for each row and
// workload (ch02 at 10,000 × 1000 ms, say) the median, minimum and maximum of every number the
// summary lines carried, over the runs that succeeded. Part of the driver in common/bench: the
// driver builds these from its runs (summarize), the results file stores them
// (results_file.hpp), and every table, chart, check and README figure is rendered from them.
#pragma once

#include "summary_line.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bench {

// How one run went. `ok` only when the program exited 0 and its summary says every request
// was answered; otherwise `failure` says why, and the run counts in no median.
struct RunOutcome {
    bool ok = false;
    std::string failure;
    std::optional<SummaryLine> summary; // also kept for failed runs that printed one
};

// One number over the successful runs. The range is absent only where the figures were
// transcribed from a table that did not publish it.
struct Stat {
    double median = 0;
    std::optional<double> min;
    std::optional<double> max;
};

struct Cell {
    std::string row; // "ch01" ... "ch05", "asio", ...: row_names()
    std::size_t requests = 0;
    long delay_ms = 0;
    int runs = 0;        // runs made
    int ok = 0;          // runs that succeeded; the statistics are over these
    std::string not_run; // why this size was not run for this row ("" when it was)
    std::string failure; // the first failed run's cause ("" when none failed)
    std::vector<std::pair<std::string, Stat>> numbers;      // "elapsed_ms", "polls", ...
    std::vector<std::pair<std::string, std::string>> texts; // keys whose value is not a number

    bool all_ok() const { return not_run.empty() && runs > 0 && ok == runs; }
    std::optional<double> median(std::string_view key) const;
    const Stat* stat(std::string_view key) const;
    std::optional<std::string_view> text(std::string_view key) const;
};

// The delay server's own row. A server cannot time its clients from the inside, so its time is
// its fastest client's at the largest size; its peak RSS is its own, over the whole benchmark.
struct ServerRow {
    std::size_t requests = 0;
    long delay_ms = 0;
    double elapsed_ms = 0;
    std::string timed_by; // the row whose time it is
    std::optional<double> peak_rss_kib;
};

// Everything the results file holds.
struct Results {
    std::string date;    // "2026-11-26"
    std::string command; // "bench --runs 5"
    std::string machine; // cores, CPU, memory
    std::string build;   // compiler and build type
    double load_average = 0;
    int runs = 0;                   // runs per cell
    std::vector<std::string> notes; // rows that were not run at all, provenance, ...
    std::vector<Cell> cells;        // in row order, then size
    std::optional<ServerRow> server;
};

// A cell's statistics from its runs: numbers over the runs that succeeded, text keys as the first
// successful run printed them. The identifying keys (chapter, requests, delay_ms, ok) are dropped.
Cell summarize(std::string row, std::size_t requests, long delay_ms,
               const std::vector<RunOutcome>& runs);

// The server row for `results.cells`: the fastest row whose runs all succeeded at the largest
// size. nullopt when there is none.
std::optional<ServerRow> server_row(const std::vector<Cell>& cells,
                                    std::optional<double> server_peak_rss_kib);

// Every row the driver can run, in the order it runs them: the chapters (`uring` is ch04 on its
// io_uring reactor, `fibers` ch05's second program), the asio reference client, and the two
// controls `ch04-notrace` and `ch05-notrace` (see is_control_row).
const std::vector<std::string>& row_names();
// A row of the driver's, or `server` (the delay server's row in the results file).
bool is_row_name(std::string_view row);
// A control: a chapter's program again, built with the trace hooks compiled out
// (-DASYNC_TRACE=OFF), run beside its normal build to show that hooks compiled in but off cost
// nothing measurable. Shown in the full table, not in the summary table or the chart, and never
// the server row's timer: they measure the build, not a layer.
bool is_control_row(std::string_view row);

// "10,000"
std::string with_commas(long long value);
// "ch02 epoll", "asio (reference)": a row's name with the layer it adds, for tables and legends.
std::string row_label(std::string_view row);
// "5.2 MiB" from KiB.
std::string mib(double kib);

const Cell* find_cell(const std::vector<Cell>& cells, std::string_view row, std::size_t requests);

} // namespace bench
