// Tests of the driver's command line (options.hpp): which runs replace the committed results
// file and chart, and the docs modes that run nothing.
#include "options.hpp"

#include <common/cli.hpp>

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace {

bench::DriverOptions parse(std::vector<std::string_view> args) {
    return bench::parse_command_line(args, "/repo");
}

std::string usage_error(std::vector<std::string_view> args) {
    try {
        parse(args);
    } catch (const common::UsageError& e) {
        return e.what();
    }
    return "(accepted)";
}

} // namespace

TEST_CASE("options: a full run writes the committed results file and chart") {
    const bench::DriverOptions o = parse({"--runs", "3"});
    CHECK(o.runs == 3);
    CHECK(o.results_file == "/repo/common/bench/results.txt");
    CHECK(o.svg_file == "/repo/common/bench/results.svg");
    CHECK(o.requests == std::vector<std::size_t>{100, 1000, 10000});
}

TEST_CASE("options: a partial run or --check writes no results file or chart unless asked") {
    for (const auto& args : std::vector<std::vector<std::string_view>>{
             {"--rows", "ch02,ch04"}, {"--requests", "100"}, {"--delay-ms", "10"}, {"--check"}}) {
        const bench::DriverOptions o = parse(args);
        CHECK(o.results_file.empty());
        CHECK(o.svg_file.empty());
    }
    const bench::DriverOptions o =
        parse({"--rows", "ch02", "--results", "/tmp/r.txt", "--svg", "/tmp/r.svg"});
    CHECK(o.results_file == "/tmp/r.txt");
    CHECK(o.svg_file == "/tmp/r.svg");
    CHECK(parse({"--no-svg"}).svg_file.empty());
    const bench::DriverOptions check = parse({"--check"});
    CHECK(check.requests == std::vector<std::size_t>{10000});
    CHECK(check.rows == std::vector<std::string>{"ch02", "ch04", "ch05", "asio"});
}

TEST_CASE("options: --update-docs and --check-docs run nothing and read the committed file") {
    const bench::DriverOptions o = parse({"--check-docs"});
    CHECK(o.check_docs);
    CHECK(o.results_to_read() == "/repo/common/bench/results.txt");
    CHECK(o.results_file.empty()); // nothing is written
    const bench::DriverOptions other = parse({"--update-docs", "--root", "/x", "--results", "r"});
    CHECK(other.update_docs);
    CHECK(other.root == "/x");
    CHECK(other.results_to_read() == "r");
}

TEST_CASE("options: bad arguments are one usage error each") {
    CHECK(usage_error({"--check-docs", "--runs", "3"}) ==
          "--runs: --check-docs runs no benchmark (it takes only --root and --results)");
    CHECK(usage_error({"--update-docs", "--check-docs"}) ==
          "--update-docs and --check-docs: choose one");
    CHECK(usage_error({"--runs", "0"}) == "--runs: expected a number in 1..100, got '0'");
    CHECK(usage_error({"--rows", "ch09"}) ==
          "--rows: unknown row 'ch09' (ch01, ch02, ch03, ch04, uring, ch05, fibers, asio, "
          "ch04-notrace, ch05-notrace)");
    CHECK(usage_error({"--rows", ","}) == "--rows: expected a list like ch02,ch04");
    CHECK(usage_error({"--svg"}) == "--svg: missing value");
    CHECK(usage_error({"--svg", "a", "--no-svg"}) == "--svg and --no-svg: choose one");
    CHECK(usage_error({"--fast"}) == "--fast: unknown option (see --help)");
}
