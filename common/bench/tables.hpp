// Everything the READMEs show of a benchmark run, rendered from the results file's data: single
// figures ("1,337 ms" for ch02/10000/elapsed) and whole blocks (the tables, the run's
// description, the check). doc_markers.hpp puts them into the READMEs; the driver prints the full
// table after a run. Part of the driver in common/bench.
#pragma once

#include "results.hpp"

#include <string>
#include <string_view>

namespace bench {

// A rendered figure or block; when `ok` is false, `text` says why there is none (an unknown
// key, a row the file does not have, a cell whose runs all failed).
struct Rendered {
    bool ok = false;
    std::string text;
};

// KEY is ROW/N/FIELD. ROW: a row name (ch01 ... ch05, uring, fibers, asio, ch04-notrace,
// ch05-notrace, server), or A-B (A's figure minus B's, for the numeric fields:
// "ch05-ch04/10000/rss_per_request", "ch04-ch04-notrace/10000/elapsed"). N: a request count the
// file has for ROW.
// FIELD:
//   elapsed            median elapsed               "1,337 ms"
//   range              min–max elapsed              "1,327–1,349 ms"
//   over_delay         median elapsed − the delay   "337 ms"
//   rss                median peak RSS              "3.0 MiB"
//   rss_per_request    median peak RSS ÷ N          "13 KiB", "2.7 KiB", "315 B"
//   threads, polls, wakes                           "10,001"
//   polls_per_request  median polls ÷ N             "31", "2.1" (one decimal below 10)
//   any other key of the cell's summary lines: its median with commas ("spawn_ms" -> "365"), or
//   its text ("asio" -> "1.22.1").
Rendered render_field(const Results& results, std::string_view key);

// NAME: summary (one line per row, the sizes as columns: the top README's table; the control rows
// left out), full (every cell with its range and other keys, then the notes), check (the targets
// checked against the file's largest size, as a text block), run (one paragraph: when, where, how
// the figures were measured). The text ends without a newline.
Rendered render_block(const Results& results, std::string_view name);

// The block names render_block knows, for messages.
std::string_view block_names();

} // namespace bench
