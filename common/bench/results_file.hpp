// The results file, common/bench/results.txt: one benchmark run written as plain text, one line
// per row and size, so that a new run shows in `git diff` as the figures that changed. The driver
// writes it on every full run; every benchmark figure in the READMEs is generated from it
// (doc_markers.hpp). Part of the driver in common/bench.
//
// The format (the file repeats this in its comment header):
//   # comment                  ignored, as are blank lines
//   format: bench-results 1    first non-comment line
//   date: / command: / machine: / build: / load_average: / runs:   the run
//   note: TEXT                 any number, in order
//   cell: row=ch02 requests=10000 delay_ms=1000 runs=5 ok=5 elapsed_ms=1337[1327..1349] ...
//                              one per row and size; after the identifying keys, each key the
//                              summary lines carried, as MEDIAN[MIN..MAX] (or MEDIAN alone when
//                              the range is not known) over the runs that succeeded, or as text
//   not_run: ROW N TEXT        why that cell was not run
//   failure: ROW N TEXT        its first failed run's cause
//   server: requests=N delay_ms=D elapsed_ms=E timed_by=ROW [peak_rss_kib=R]
// Numbers are in the summary lines' units (elapsed_ms in ms, peak_rss_kib in KiB).
#pragma once

#include "results.hpp"

#include <string>
#include <string_view>

namespace bench {

std::string write_results(const Results& results);

// Throws std::runtime_error("line N: <what is wrong>") on a line it cannot read.
Results parse_results(std::string_view text);

} // namespace bench
