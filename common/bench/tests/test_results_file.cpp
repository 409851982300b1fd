// Tests of the results file (results_file.hpp) and of summarize (results.hpp): what the driver
// writes reads back unchanged, a bad line is named, medians and ranges come from the runs that
// succeeded.
#include "results_file.hpp"

#include "sample_results.hpp"

#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

namespace {

bench::RunOutcome ok_run(const std::string& summary) {
    return {true, {}, bench::parse_summary(summary)};
}

std::string parse_error(std::string_view text) {
    try {
        bench::parse_results(text);
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    return "(no error)";
}

} // namespace

TEST_CASE("results file: a file read and written again is the same text, apart from comments") {
    const bench::Results r = bench_test::sample_results();
    const std::string written = bench::write_results(r);
    CHECK(bench::write_results(bench::parse_results(written)) == written);
    // Every data line of the sample survives, in order.
    std::string data;
    for (std::size_t start = 0; start < bench_test::kSampleResults.size();) {
        const std::size_t end = bench_test::kSampleResults.find('\n', start);
        const std::string_view line = bench_test::kSampleResults.substr(start, end - start);
        if (line.front() != '#') {
            data += std::string(line) + "\n";
        }
        start = end + 1;
    }
    CHECK(written.substr(written.find("format: ")) == data);
}

TEST_CASE("results file: medians, ranges, texts, failures and the server row are read") {
    const bench::Results r = bench_test::sample_results();
    CHECK(r.date == "2026-11-26");
    CHECK(r.runs == 5);
    CHECK(r.load_average == doctest::Approx(0.7));
    REQUIRE(r.notes.size() == 1);
    const bench::Cell* ch02 = bench::find_cell(r.cells, "ch02", 10000);
    REQUIRE(ch02 != nullptr);
    REQUIRE(ch02->stat("elapsed_ms") != nullptr);
    CHECK(ch02->stat("elapsed_ms")->median == 1337);
    CHECK(*ch02->stat("elapsed_ms")->min == 1327);
    CHECK(*ch02->stat("elapsed_ms")->max == 1349);
    CHECK_FALSE(ch02->stat("polls")->min.has_value()); // published without a range
    const bench::Cell* asio = bench::find_cell(r.cells, "asio", 10000);
    REQUIRE(asio != nullptr);
    CHECK(asio->text("asio") == "1.22.1");
    CHECK_FALSE(asio->median("asio").has_value());
    const bench::Cell* ch04 = bench::find_cell(r.cells, "ch04", 10000);
    CHECK(ch04->failure == "exit status 1: error: load: 3 of 10000 failed: timed out");
    CHECK_FALSE(ch04->all_ok());
    CHECK(bench::find_cell(r.cells, "ch01", 20000)->not_run == "too many threads");
    REQUIRE(r.server.has_value());
    CHECK(r.server->timed_by == "ch02");
    CHECK(*r.server->peak_rss_kib == doctest::Approx(4915.2));
}

TEST_CASE("results file: a line it cannot read is named by its number") {
    CHECK(parse_error("") == "no 'format: bench-results 1' line: not a results file");
    CHECK(parse_error("date: 2026-11-26\n") == "line 1: expected 'format: bench-results 1' first");
    CHECK(parse_error("format: bench-results 1\nruns: five\n") ==
          "line 2: runs: expected a number, got 'five'");
    CHECK(parse_error("format: bench-results 1\ncell: requests=100\n") ==
          "line 2: a cell needs row= and requests=");
    CHECK(parse_error("format: bench-results 1\nnot_run: ch01 100 why\n") ==
          "line 2: no cell line for ch01 at 100 before this");
    CHECK(parse_error("format: bench-results 1\nsurprise: 1\n") ==
          "line 2: unknown line kind 'surprise'");
    CHECK(parse_error("format: bench-results 1\ncell: row=ch02 requests=1 elapsed\n") ==
          "line 2: expected key=value, got 'elapsed'");
}

TEST_CASE("summarize: medians and ranges come from the runs that succeeded, the rest counted") {
    std::vector<bench::RunOutcome> runs = {
        ok_run("summary: chapter=ch03 requests=10 delay_ms=5 ok=10 elapsed_ms=30 "
               "peak_rss_kib=100 threads=1 polls=7 wakes=2 version=a.b"),
        {false, "exit status 1: error: load: 1 of 10 failed: reset", std::nullopt},
        ok_run("summary: chapter=ch03 requests=10 delay_ms=5 ok=10 elapsed_ms=10 "
               "peak_rss_kib=300 threads=1 polls=9 wakes=4 version=a.b"),
        ok_run("summary: chapter=ch03 requests=10 delay_ms=5 ok=10 elapsed_ms=20 "
               "peak_rss_kib=200 threads=1 polls=8 wakes=3 version=a.b"),
    };
    const bench::Cell c = bench::summarize("ch03", 10, 5, runs);
    CHECK(c.runs == 4);
    CHECK(c.ok == 3);
    CHECK(c.failure == "exit status 1: error: load: 1 of 10 failed: reset");
    REQUIRE(c.stat("elapsed_ms") != nullptr);
    CHECK(c.stat("elapsed_ms")->median == 20);
    CHECK(*c.stat("elapsed_ms")->min == 10);
    CHECK(*c.stat("elapsed_ms")->max == 30);
    CHECK(c.median("wakes") == 3);
    CHECK(c.text("version") == "a.b");
    // The keys that only say which cell this is are not figures.
    CHECK_FALSE(c.stat("requests"));
    CHECK_FALSE(c.stat("ok"));
    // An even number of runs: the median is the mean of the middle two.
    runs.pop_back();
    CHECK(bench::summarize("ch03", 10, 5, runs).median("elapsed_ms") == 20);
}

TEST_CASE("server_row: the fastest row whose runs all succeeded at the largest size") {
    const bench::Results r = bench_test::sample_results();
    const auto server = bench::server_row(r.cells, 4000);
    REQUIRE(server.has_value());
    CHECK(server->requests == 10000);
    CHECK(server->timed_by == "ch02"); // ch03 ties at 1337 ms; the first listed wins
    CHECK(server->elapsed_ms == 1337);
    CHECK(*server->peak_rss_kib == 4000);
}
