// Tests of what the READMEs show, rendered from the results file (tables.hpp): each field in the
// format the marker syntax promises, differences between rows, the blocks, and an error (never
// a guess) for a key the file cannot answer.
#include "tables.hpp"

#include "sample_results.hpp"

#include <doctest/doctest.h>

#include <string>

namespace {

std::string field(std::string_view key) {
    const bench::Rendered r = bench::render_field(bench_test::sample_results(), key);
    return r.ok ? r.text : "error: " + r.text;
}

std::string block(std::string_view name) {
    const bench::Rendered r = bench::render_block(bench_test::sample_results(), name);
    return r.ok ? r.text : "error: " + r.text;
}

} // namespace

TEST_CASE("render_field: every field in the format the marker syntax promises") {
    CHECK(field("ch02/10000/elapsed") == "1,337 ms");
    CHECK(field("ch02/10000/range") == "1,327–1,349 ms");
    CHECK(field("ch02/10000/over_delay") == "337 ms");
    CHECK(field("ch02/10000/rss") == "3.0 MiB");
    CHECK(field("ch01/10000/threads") == "10,001");
    CHECK(field("ch03/10000/polls") == "306,728");
    CHECK(field("ch03/10000/wakes") == "96");
    CHECK(field("ch03/10000/polls_per_request") == "31");
    CHECK(field("ch04/10000/polls_per_request") == "2.1");
    CHECK(field("ch01/10000/rss_per_request") == "13 KiB");
    CHECK(field("asio/10000/rss_per_request") == "2.7 KiB");
    CHECK(field("ch02/10000/rss_per_request") == "315 B");
    CHECK(field("ch02/100/rss_per_request") == "28 KiB");
}

TEST_CASE("render_field: other summary keys by name, the server row, and row differences") {
    CHECK(field("ch01/10000/spawn_ms") == "365");
    CHECK(field("asio/10000/asio") == "1.22.1");
    CHECK(field("server/10000/elapsed") == "1,337 ms");
    CHECK(field("server/10000/rss") == "4.8 MiB");
    CHECK(field("ch05-ch04/10000/rss_per_request") == "262 B");
    CHECK(field("ch04-ch02/10000/elapsed") == "73 ms");
    CHECK(field("ch02-ch04/10000/elapsed") == "-73 ms");
    CHECK(field("ch05-ch04/10000/rss") == "2.5 MiB");
}

TEST_CASE("render_field: a key the results file cannot answer is an error, not a figure") {
    CHECK(field("ch09/10000/elapsed") == "error: the results file has no ch09 at 10000 requests");
    CHECK(field("ch02/5000/elapsed") == "error: the results file has no ch02 at 5000 requests");
    CHECK(field("ch02/many/elapsed") == "error: N must be a request count, got 'many'");
    CHECK(field("ch02/10000") == "error: expected ROW/N/FIELD, got 'ch02/10000'");
    CHECK(field("ch02/10000/speed").rfind("error: unknown field 'speed'", 0) == 0);
    CHECK(field("ch02/10000/wakes") == "error: ch02 at 10000 has no wakes");
    CHECK(field("ch01/20000/elapsed") == "error: ch01 at 20000 requests was not run");
    CHECK(field("asio/10000/range") == "error: asio at 10000 has no elapsed range in the "
                                       "results file");
    CHECK(field("server/100/elapsed") == "error: the results file has no server row at 100 "
                                         "requests");
    CHECK(field("asio-ch02/10000/asio") == "error: 'asio' is not a number, so it has no "
                                           "difference");
}

TEST_CASE("render_block: the full table has a line per cell with its range, and the server") {
    const std::string full = block("full");
    CHECK(full.find("| ch02 epoll | 10,000 | 1,000 ms | 1,337 ms (1,327–1,349) | 1.34 | 3.0 MiB | "
                    "1 | 4,015 |  | 5 ok |\n") != std::string::npos);
    CHECK(full.find("| ch03 leaf futures | 10,000 | 1,000 ms | 1,337 ms (1,329–1,352) | 1.34 | "
                    "4.9 MiB | 1 | 306,728 | wakes 96 | 5 ok |") != std::string::npos);
    CHECK(full.find("| ch04 executor | 10,000 | 1,000 ms | 1,410 ms (1,398–1,430) | 1.41 | 7.0 MiB "
                    "| 2 | 21,447 |  | **1 of 5 failed** (medians of the rest): exit status 1: "
                    "error: load: 3 of 10000 failed: timed out |") != std::string::npos);
    CHECK(full.find("| ch01 threads | 20,000 | 1,000 ms | — | — | — | — | — | | not run: too many "
                    "threads |") != std::string::npos);
    CHECK(full.find("| asio (reference) | 10,000 | 1,000 ms | 1,406 ms | 1.41 | 26.7 MiB | 1 | — | "
                    "asio 1.22.1 | 5 ok |") != std::string::npos);
    CHECK(full.find("| **delay server** | 10,000 | 1,000 ms | 1,337 ms | 1.34 | 4.8 MiB | 1 |") !=
          std::string::npos);
    CHECK(full.back() == '|'); // a block ends without a newline
}

TEST_CASE("render_block: the summary table has the sizes as columns") {
    const std::string summary = block("summary");
    CHECK(summary.rfind("| chapter | 100 requests | 10,000 requests | 20,000 requests | peak RSS "
                        "at 10,000 | threads at 10,000 | polls at 10,000 |\n",
                        0) == 0);
    CHECK(summary.find("| ch02 epoll | 1,005 ms | 1,337 ms | | 3.0 MiB | 1 | 4,015 |") !=
          std::string::npos);
    CHECK(summary.find("| ch01 threads | | 1,502 ms | not run | 131.6 MiB | 10,001 | — |") !=
          std::string::npos);
    CHECK(summary.find("| ch04 executor | | 1,410 ms (some runs failed) | |") != std::string::npos);
    CHECK(summary.find("| asio 1.22.1 (reference client, C++20 coroutines) |") !=
          std::string::npos);
}

TEST_CASE("render_block: the run paragraph, the check, and an unknown name") {
    const std::string run = block("run");
    CHECK(run.rfind("Measured 2026-11-26 on 2 cores, 24 GiB of memory, loopback; g++ 12, Release "
                    "build; the 1-minute load average was 0.7 when the run started.",
                    0) == 0);
    CHECK(run.find("(1 of 35 runs failed)") != std::string::npos);
    CHECK(run.find("Command: `bench`.\n\nA note about the run.") != std::string::npos);
    const std::string check = block("check");
    CHECK(check.rfind("```text\ncheck: the targets at 10,000 requests", 0) == 0);
    CHECK(block("chart") == "error: unknown table 'chart' (summary, full, check, run)");
}
