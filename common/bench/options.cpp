// Implementation of options.hpp.
#include "options.hpp"

#include <common/cli.hpp>

#include <charconv>
#include <filesystem>

namespace bench {

const std::string_view kUsage =
    R"(usage: bench [options]
       bench --update-docs | --check-docs [--root DIR] [--results FILE]

Runs every chapter's load mode that exists in the build tree (and the asio reference
client, when asio was found at configure time) against one external delay server,
repeats each run, writes the results file and the chart, and prints a markdown table
of medians.

  --runs N            runs of each row and size (default 5); the tables show medians
  --requests LIST     workloads: comma-separated request counts (default 100,1000,10000)
  --delay-ms D        the delay each request asks for (default 1000)
  --rows LIST         rows to run (default ch01,ch02,ch03,ch04,uring,ch05,fibers,asio,
                      ch04-notrace,ch05-notrace: those built; uring is ch04-executor
                      --reactor uring; the -notrace rows run ch04's and ch05's programs
                      built with the trace hooks compiled out)
  --all               also run the sizes the table marks as not sensible
  --timeout-s S       kill a run after S seconds and record it as failed (default 60)
  --pause-ms P        pause between runs, so one run's sockets are gone before the next
                      starts (default 300)
  --build-dir DIR     the superbuild's build directory holding the chapter programs
                      (default: the one this program was built in)
  --notrace-build-dir DIR
                      a build configured with -DASYNC_TRACE=OFF, for the -notrace rows
                      (default: the build directory followed by -notrace)
  --results FILE      write the results file to FILE. A full run (default rows, sizes
                      and delay, no --check) writes common/bench/results.txt in the
                      repository unless told otherwise; any other run writes one only
                      when asked
  --svg FILE          write the chart to FILE (a full run writes
                      common/bench/results.svg unless told otherwise)
  --no-svg            write no chart
  --markdown FILE     also write the run's description and full table to FILE
  --check             check the targets at 10,000 requests x 1000 ms (runs only ch02,
                      ch04, ch05 and asio at 10,000 unless --requests or --rows say
                      otherwise); exit 1 naming every target missed

Without running anything:
  --update-docs       rewrite every marked figure and table in the repository's *.md
                      files, and the chart, from the results file
  --check-docs        compare them with the results file instead; exit 1 listing every
                      difference, unknown key and unclosed marker
  --root DIR          the repository (default: the one this program was built from)

  --help              print this and exit

Use a release build; common/scripts/bench.sh builds one (only what the benchmark runs) and
starts this program with the arguments it is given.)";

namespace {

long parse_number(std::string_view flag, std::string_view text, long min, long max) {
    long value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value < min ||
        value > max) {
        throw common::UsageError(std::string(flag) + ": expected a number in " +
                                 std::to_string(min) + ".." + std::to_string(max) + ", got '" +
                                 std::string(text) + "'");
    }
    return value;
}

std::vector<std::string> split(std::string_view text) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t comma = std::min(text.find(',', start), text.size());
        if (comma > start) {
            parts.emplace_back(text.substr(start, comma - start));
        }
        start = comma + 1;
    }
    return parts;
}

bool known_row(const std::string& row) {
    return row != "server" && is_row_name(row);
}

std::string row_list() {
    std::string out;
    for (const std::string& row : row_names()) {
        out += (out.empty() ? "" : ", ") + row;
    }
    return out;
}

} // namespace

std::string results_path(const std::string& root) {
    return (std::filesystem::path(root) / "common" / "bench" / "results.txt")
        .lexically_normal()
        .string();
}

std::string chart_path(const std::string& root) {
    return (std::filesystem::path(root) / "common" / "bench" / "results.svg")
        .lexically_normal()
        .string();
}

std::string DriverOptions::results_to_read() const {
    return results_file.empty() ? results_path(root) : results_file;
}

DriverOptions parse_command_line(const std::vector<std::string_view>& args,
                                 const std::string& source_root) {
    DriverOptions o;
    bool svg_given = false;
    bool no_svg = false;
    std::string run_option; // the first option that only means something for a run
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string_view arg = args[i];
        const auto value = [&]() -> std::string_view {
            if (i + 1 >= args.size()) {
                throw common::UsageError(std::string(arg) + ": missing value");
            }
            return args[++i];
        };
        const auto for_run = [&] {
            if (run_option.empty()) {
                run_option = arg;
            }
        };
        if (arg == "--help" || arg == "-h") {
            o.help = true;
        } else if (arg == "--runs") {
            for_run();
            o.runs = static_cast<int>(parse_number(arg, value(), 1, 100));
        } else if (arg == "--requests") {
            for_run();
            o.requests.clear();
            for (const std::string& n : split(value())) {
                o.requests.push_back(static_cast<std::size_t>(parse_number(arg, n, 1, 100000)));
            }
            if (o.requests.empty()) {
                throw common::UsageError("--requests: expected a list like 100,1000,10000");
            }
            o.requests_given = true;
        } else if (arg == "--delay-ms") {
            for_run();
            o.delay_ms = parse_number(arg, value(), 0, 600000);
            o.delay_given = true;
        } else if (arg == "--rows") {
            for_run();
            o.rows = split(value());
            for (const std::string& row : o.rows) {
                if (!known_row(row)) {
                    throw common::UsageError("--rows: unknown row '" + row + "' (" + row_list() +
                                             ")");
                }
            }
            if (o.rows.empty()) {
                throw common::UsageError("--rows: expected a list like ch02,ch04");
            }
            o.rows_given = true;
        } else if (arg == "--all") {
            for_run();
            o.all = true;
        } else if (arg == "--timeout-s") {
            for_run();
            o.timeout_s = parse_number(arg, value(), 1, 3600);
        } else if (arg == "--pause-ms") {
            for_run();
            o.pause_ms = parse_number(arg, value(), 0, 60000);
        } else if (arg == "--build-dir") {
            for_run();
            o.build_dir = value();
        } else if (arg == "--notrace-build-dir") {
            for_run();
            o.notrace_build_dir = value();
        } else if (arg == "--root") {
            o.root = value();
        } else if (arg == "--results") {
            o.results_file = value();
        } else if (arg == "--markdown") {
            for_run();
            o.markdown_file = value();
        } else if (arg == "--svg") {
            for_run();
            o.svg_file = value();
            svg_given = true;
        } else if (arg == "--no-svg") {
            for_run();
            no_svg = true;
        } else if (arg == "--check") {
            for_run();
            o.check = true;
        } else if (arg == "--update-docs") {
            o.update_docs = true;
        } else if (arg == "--check-docs") {
            o.check_docs = true;
        } else {
            throw common::UsageError(std::string(arg) + ": unknown option (see --help)");
        }
    }
    if (o.root.empty()) {
        o.root = source_root;
    }
    if (o.update_docs && o.check_docs) {
        throw common::UsageError("--update-docs and --check-docs: choose one");
    }
    if ((o.update_docs || o.check_docs) && !run_option.empty()) {
        throw common::UsageError(run_option + ": " +
                                 (o.update_docs ? "--update-docs" : "--check-docs") +
                                 " runs no benchmark (it takes only --root and --results)");
    }
    if (svg_given && no_svg) {
        throw common::UsageError("--svg and --no-svg: choose one");
    }
    if (o.check) {
        if (!o.requests_given) {
            o.requests = {10000};
        }
        if (!o.rows_given) {
            o.rows = {"ch02", "ch04", "ch05", "asio"};
        }
    }
    // Only a full run replaces the committed results and chart by default: a partial one would
    // leave the READMEs generated from a file that no longer holds the rows they show.
    const bool full_run = !o.check && !o.rows_given && !o.requests_given && !o.delay_given;
    if (!o.update_docs && !o.check_docs) {
        if (o.results_file.empty() && full_run) {
            o.results_file = results_path(o.root);
        }
        if (!svg_given && !no_svg && full_run) {
            o.svg_file = chart_path(o.root);
        }
    }
    return o;
}

} // namespace bench
