// Tests of the benchmark's control rows, ch04-notrace and ch05-notrace: ch04's and ch05's programs
// built with the trace hooks compiled out (results.hpp, is_control_row). Their names hold a dash,
// which README markers also use for the difference of two rows, so both readings are tested; and
// they belong in the full table, not in the summary table or as the server row's timer.
#include "doc_markers.hpp"
#include "options.hpp"
#include "results.hpp"
#include "results_file.hpp"
#include "svg_chart.hpp"
#include "tables.hpp"

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

namespace {

// ch04 and its control at 10,000 requests; the control is the faster here, so a server row that
// took the fastest row of all would be timed by it.
constexpr std::string_view kResults =
    "format: bench-results 1\n"
    "date: 2026-12-01\n"
    "command: bench\n"
    "machine: 2 cores, loopback\n"
    "build: g++ 12, Release build\n"
    "load_average: 0.5\n"
    "runs: 5\n"
    "cell: row=ch04 requests=10000 delay_ms=1000 runs=5 ok=5 elapsed_ms=1410[1398..1430] "
    "peak_rss_kib=7168 threads=2 polls=21447\n"
    "cell: row=ch04-notrace requests=10000 delay_ms=1000 runs=5 ok=5 "
    "elapsed_ms=1402[1390..1433] peak_rss_kib=7100 threads=2 polls=21440\n"
    "server: requests=10000 delay_ms=1000 elapsed_ms=1410 timed_by=ch04\n";

std::string field(const bench::Results& r, std::string_view key) {
    const bench::Rendered out = bench::render_field(r, key);
    return out.ok ? out.text : "error: " + out.text;
}

} // namespace

TEST_CASE("control rows: a row whose name holds a dash is read, written and asked for by name") {
    const bench::Results r = bench::parse_results(kResults);
    REQUIRE(r.cells.size() == 2);
    CHECK(r.cells[1].row == "ch04-notrace");
    CHECK(bench::write_results(r).find("cell: row=ch04-notrace requests=10000") !=
          std::string::npos);
    CHECK(field(r, "ch04-notrace/10000/elapsed") == "1,402 ms");
    CHECK(field(r, "ch04-notrace/10000/range") == "1,390–1,433 ms");
    // A-B where B's name holds a dash: what the compiled-in hooks cost over compiled-out ones.
    CHECK(field(r, "ch04-ch04-notrace/10000/elapsed") == "8 ms");
    CHECK(field(r, "ch04-notrace-ch04/10000/polls") == "-7");
    // A name that is neither a row nor two rows is an error, as any unknown row is.
    CHECK(field(r, "ch04-nothing/10000/elapsed") ==
          "error: the results file has no ch04-nothing at 10000 requests");
}

TEST_CASE(
    "control rows: in the full table, not in the summary table or chart, never the server's") {
    const bench::Results r = bench::parse_results(kResults);
    const std::string full = bench::render_block(r, "full").text;
    CHECK(full.find(
              "| ch04, trace hooks compiled out | 10,000 | 1,000 ms | 1,402 ms (1,390–1,433)") !=
          std::string::npos);
    const std::string summary = bench::render_block(r, "summary").text;
    CHECK(summary.find("| ch04 executor |") != std::string::npos);
    CHECK(summary.find("compiled out") == std::string::npos);
    const std::string chart = bench::svg_chart(r.cells, {"ch04", "ch04-notrace"}, r.runs);
    CHECK(chart.find("ch04 executor") != std::string::npos);
    CHECK(chart.find("compiled out") == std::string::npos);
    const auto server = bench::server_row(r.cells, std::nullopt);
    REQUIRE(server.has_value());
    CHECK(server->timed_by == "ch04"); // not the faster ch04-notrace
}

TEST_CASE("control rows: a README marker for one is rewritten like any other") {
    const bench::Results r = bench::parse_results(kResults);
    const bench::RewriteResult out = bench::rewrite_markers(
        "compiled out: <!-- bench:ch04-notrace/10000/elapsed -->1 ms<!-- /bench -->, "
        "the hooks: <!-- bench:ch04-ch04-notrace/10000/elapsed -->?<!-- /bench -->\n",
        r);
    CHECK(out.errors.empty());
    CHECK(out.differences.size() == 2);
    CHECK(out.text == "compiled out: <!-- bench:ch04-notrace/10000/elapsed -->1,402 ms<!-- /bench "
                      "-->, the hooks: <!-- bench:ch04-ch04-notrace/10000/elapsed -->8 ms<!-- "
                      "/bench -->\n");
}

TEST_CASE("control rows: a full run includes them, --check does not, and --notrace-build-dir") {
    const bench::DriverOptions full = bench::parse_command_line({}, "/repo");
    CHECK(full.rows == bench::row_names());
    CHECK(full.rows.back() == "ch05-notrace");
    CHECK(full.notrace_build_dir.empty()); // the driver then takes <build dir>-notrace
    const bench::DriverOptions some = bench::parse_command_line(
        {"--rows", "ch04,ch04-notrace", "--notrace-build-dir", "/b/notrace"}, "/repo");
    CHECK(some.rows == std::vector<std::string>{"ch04", "ch04-notrace"});
    CHECK(some.notrace_build_dir == "/b/notrace");
    const bench::DriverOptions check = bench::parse_command_line({"--check"}, "/repo");
    CHECK(check.rows == std::vector<std::string>{"ch02", "ch04", "ch05", "asio"});
}
