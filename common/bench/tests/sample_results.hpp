// A small results file for the driver's tests: ch02, ch04 and ch05 at 100 and 10,000 requests,
// figures taken from a real run's table, one cell not run, a server row.
#pragma once

#include "results_file.hpp"

#include <string_view>

namespace bench_test {

inline constexpr std::string_view kSampleResults =
    "# a comment line\n"
    "format: bench-results 1\n"
    "date: 2026-11-26\n"
    "command: bench\n"
    "machine: 2 cores, 24 GiB of memory, loopback\n"
    "build: g++ 12, Release build\n"
    "load_average: 0.7\n"
    "runs: 5\n"
    "note: A note about the run.\n"
    "cell: row=ch02 requests=100 delay_ms=1000 runs=5 ok=5 elapsed_ms=1005[1005..1006] "
    "peak_rss_kib=2764.8 threads=1 polls=6\n"
    "cell: row=ch02 requests=10000 delay_ms=1000 runs=5 ok=5 elapsed_ms=1337[1327..1349] "
    "peak_rss_kib=3072 threads=1 polls=4015\n"
    "cell: row=ch03 requests=10000 delay_ms=1000 runs=5 ok=5 elapsed_ms=1337[1329..1352] "
    "peak_rss_kib=5017.6 threads=1 polls=306728 wakes=96\n"
    "cell: row=ch04 requests=10000 delay_ms=1000 runs=5 ok=4 elapsed_ms=1410[1398..1430] "
    "peak_rss_kib=7168 threads=2 polls=21447\n"
    "failure: ch04 10000 exit status 1: error: load: 3 of 10000 failed: timed out\n"
    "cell: row=ch05 requests=10000 delay_ms=1000 runs=5 ok=5 elapsed_ms=1409[1399..1441] "
    "peak_rss_kib=9728 threads=2 polls=21259\n"
    "cell: row=ch01 requests=10000 delay_ms=1000 runs=5 ok=5 elapsed_ms=1502[1427..1504] "
    "peak_rss_kib=134758.4 threads=10001 spawn_ms=365\n"
    "cell: row=ch01 requests=20000 delay_ms=1000 runs=0 ok=0\n"
    "not_run: ch01 20000 too many threads\n"
    "cell: row=asio requests=10000 delay_ms=1000 runs=5 ok=5 elapsed_ms=1406 "
    "peak_rss_kib=27340.8 threads=1 asio=1.22.1\n"
    "server: requests=10000 delay_ms=1000 elapsed_ms=1337 timed_by=ch02 peak_rss_kib=4915.2\n";

inline bench::Results sample_results() {
    return bench::parse_results(kSampleResults);
}

} // namespace bench_test
