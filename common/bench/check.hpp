// `bench --check`: the targets this repository holds its layers to at the largest workload
// (10,000 requests × 1000 ms), checked against the measured medians. Part of the benchmark
// driver; the figures are measured by hand, never by the test suite (which only renders them).
#pragma once

#include "results.hpp"

#include <cstddef>
#include <string>
#include <vector>

namespace bench {

struct Figure {
    bool met = false;
    bool skipped = false; // could not apply (the asio row is not built); neither met nor missed
    std::string text;     // "ch02 peak RSS under 8 MiB: 5.1 MiB"
};

// The figures, at `requests`:
//   ch02 peak RSS < 8 MiB; ch04 < 8 MiB; ch05 < 10 MiB;
//   ch04 and ch05 elapsed within 10% of ch02's;
//   ch02, ch04 and ch05 ahead of the asio row on elapsed time and on peak RSS (only when the asio
//   row was run).
// A row whose runs did not all succeed misses every figure it takes part in.
std::vector<Figure> check_figures(const std::vector<Cell>& cells, std::size_t requests);

// The figures as text: a heading line, then one line per figure, "  met    ...", "  MISSED ...",
// "  skip   ...", then a verdict line. `missed` is set to the number missed.
std::string check_text(const std::vector<Cell>& cells, std::size_t requests, long delay_ms,
                       int& missed);

} // namespace bench
