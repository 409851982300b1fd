// bench: the benchmark driver. It starts one external delay server, runs every chapter's load
// mode (and the asio reference client, when it was built) on the same workloads several times,
// and prints a markdown table of medians; it also writes an SVG chart and, with --check, checks
// the figures the chapter issues set. It sits beside the chapters, not under them: it only runs
// their programs and reads their `summary:` lines (child_process.hpp, summary_line.hpp).
#include "check.hpp"
#include "child_process.hpp"
#include "results.hpp"
#include "svg_chart.hpp"

#include <common/cli.hpp>
#include <common/print.hpp>

#include <charconv>
#include <chrono>
#include <cmath>
#include <ctime>
#include <exception>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <unistd.h>

namespace {

using namespace std::chrono_literals;

constexpr std::string_view kUsage =
    R"(usage: bench [options]

Runs every chapter's load mode that exists in the build tree (and the asio reference
client, when asio was found at configure time) against one external delay server,
repeats each run, and prints a markdown table of medians. Writes an SVG chart too.

  --runs N            runs of each row and size (default 5); the table shows medians
  --requests LIST     workloads: comma-separated request counts (default 100,1000,10000)
  --delay-ms D        the delay each request asks for (default 1000)
  --rows LIST         rows to run (default ch01,ch02,ch03,ch04,ch05,asio: those built)
  --all               also run the sizes the table marks as not sensible
  --timeout-s S       kill a run after S seconds and record it as failed (default 60)
  --pause-ms P        pause between runs, so one run's sockets are gone before the next
                      starts (default 300)
  --build-dir DIR     the superbuild's build directory holding the chapter programs
                      (default: the one this program was built in)
  --markdown FILE     also write the results (machine, command, table) to FILE
  --svg FILE          write the chart to FILE (default: common/bench/results.svg in the
                      repository; with --check: no chart unless asked for)
  --no-svg            write no chart
  --check             check the figures the chapter issues set at 10,000 requests x
                      1000 ms (runs only ch02, ch04, ch05 and asio at 10,000 unless
                      --requests or --rows say otherwise); exit 1 naming every figure
                      missed
  --help              print this and exit

Use a release build; common/scripts/bench.sh builds one (only what the benchmark runs) and
starts this program with the arguments it is given.)";

// A row of the table: the chapter programs, named like their folders, and the asio client.
struct RowProgram {
    std::string row;
    std::string path_in_build; // relative to the superbuild's build directory
};

const std::vector<RowProgram> kRows = {
    {"ch01", "ch01-threads/ch01-threads"},
    {"ch02", "ch02-epoll-reactor/ch02-epoll-reactor"},
    {"ch03", "ch03-leaf-futures/ch03-leaf-futures"},
    {"ch04", "ch04-executor/ch04-executor"},
    {"ch05", "ch05-coroutines/ch05-coroutines"},
    {"asio", "common/bench/asio_client"},
};

// Sizes where a chapter's design has stopped being a sensible way to do the job. The table
// prints the reason in place of figures; --all runs them anyway. At the default sizes nothing is
// skipped: chapter 1 still finishes 10,000 requests (with 10,000 threads, which is the lesson),
// and chapter 3's re-polling costs it about 16 polls per request there, not a stall.
struct NotSensible {
    std::string row;
    std::size_t from_requests;
    std::string why;
};

const std::vector<NotSensible> kNotSensible = {
    {"ch01", 20000,
     "one OS thread per request: 20,000 threads take 20,000 process ids of the default "
     "kernel.pid_max (32,768) shared with everything else on the machine; --all runs it"},
};

struct DriverOptions {
    int runs = 5;
    std::vector<std::size_t> requests = {100, 1000, 10000};
    bool requests_given = false;
    long delay_ms = 1000;
    std::vector<std::string> rows = {"ch01", "ch02", "ch03", "ch04", "ch05", "asio"};
    bool rows_given = false;
    bool all = false;
    long timeout_s = 60;
    long pause_ms = 300;
    std::string build_dir;
    std::string markdown_file;
    std::string svg_file;
    bool svg_given = false;
    bool no_svg = false;
    bool check = false;
    bool help = false;
};

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

DriverOptions parse_command_line(int argc, char** argv) {
    DriverOptions o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        const auto value = [&]() -> std::string_view {
            if (i + 1 >= argc) {
                throw common::UsageError(std::string(arg) + ": missing value");
            }
            return argv[++i];
        };
        if (arg == "--help" || arg == "-h") {
            o.help = true;
        } else if (arg == "--runs") {
            o.runs = static_cast<int>(parse_number(arg, value(), 1, 100));
        } else if (arg == "--requests") {
            o.requests.clear();
            for (const std::string& n : split(value())) {
                o.requests.push_back(static_cast<std::size_t>(parse_number(arg, n, 1, 100000)));
            }
            if (o.requests.empty()) {
                throw common::UsageError("--requests: expected a list like 100,1000,10000");
            }
            o.requests_given = true;
        } else if (arg == "--delay-ms") {
            o.delay_ms = parse_number(arg, value(), 0, 600000);
        } else if (arg == "--rows") {
            o.rows = split(value());
            for (const std::string& row : o.rows) {
                bool known = false;
                for (const RowProgram& p : kRows) {
                    known = known || p.row == row;
                }
                if (!known) {
                    throw common::UsageError("--rows: unknown row '" + row +
                                             "' (ch01..ch05, asio)");
                }
            }
            o.rows_given = true;
        } else if (arg == "--all") {
            o.all = true;
        } else if (arg == "--timeout-s") {
            o.timeout_s = parse_number(arg, value(), 1, 3600);
        } else if (arg == "--pause-ms") {
            o.pause_ms = parse_number(arg, value(), 0, 60000);
        } else if (arg == "--build-dir") {
            o.build_dir = value();
        } else if (arg == "--markdown") {
            o.markdown_file = value();
        } else if (arg == "--svg") {
            o.svg_file = value();
            o.svg_given = true;
        } else if (arg == "--no-svg") {
            o.no_svg = true;
        } else if (arg == "--check") {
            o.check = true;
        } else {
            throw common::UsageError(std::string(arg) + ": unknown option (see --help)");
        }
    }
    if (o.check) {
        if (!o.requests_given) {
            o.requests = {10000};
        }
        if (!o.rows_given) {
            o.rows = {"ch02", "ch04", "ch05", "asio"};
        }
    }
    if (o.svg_file.empty()) {
        o.svg_file = (std::filesystem::path(BENCH_SOURCE_ROOT) / "common" / "bench" / "results.svg")
                         .lexically_normal()
                         .string();
    }
    return o;
}

std::string directory_of(const std::string& path) {
    const std::size_t slash = path.rfind('/');
    return slash == std::string::npos ? "." : path.substr(0, slash);
}

bool is_executable(const std::string& path) {
    return ::access(path.c_str(), X_OK) == 0;
}

// The superbuild's build directory: this program lives in <build>/common/bench/.
std::string default_build_dir() {
    char exe[4096];
    const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        return ".";
    }
    return directory_of(directory_of(directory_of(std::string(exe, static_cast<std::size_t>(n)))));
}

std::string read_first_line(const char* path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line;
}

double load_average() {
    return std::strtod(read_first_line("/proc/loadavg").c_str(), nullptr);
}

std::string fixed1(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f", value);
    return text;
}

std::string machine_line() {
    long mem_kib = 0;
    std::ifstream meminfo("/proc/meminfo");
    std::string key;
    meminfo >> key >> mem_kib; // "MemTotal: <kB> kB"
    return std::to_string(std::thread::hardware_concurrency()) + " cores, " +
           fixed1(static_cast<double>(mem_kib) / 1024 / 1024) + " GiB of memory, loopback";
}

std::string today() {
    const std::time_t now = std::time(nullptr);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%d", std::localtime(&now));
    return text;
}

// The last `error:` line on stderr, else its last non-empty line.
std::string error_line(const std::string& err) {
    std::string last;
    std::string last_error;
    std::istringstream lines(err);
    for (std::string line; std::getline(lines, line);) {
        if (!line.empty()) {
            last = line;
        }
        if (line.rfind("error:", 0) == 0) {
            last_error = line;
        }
    }
    return last_error.empty() ? last : last_error;
}

bench::RunOutcome run_once(const std::string& program, const std::string& server,
                           std::size_t requests, long delay_ms, std::chrono::seconds timeout) {
    const bench::ChildResult child =
        bench::run_child({program, "--server", server, "--requests", std::to_string(requests),
                          "--delay-ms", std::to_string(delay_ms)},
                         timeout);
    bench::RunOutcome outcome;
    outcome.summary = bench::parse_summary(child.out);
    const std::string error = error_line(child.err);
    if (!child.exited_zero()) {
        outcome.failure = child.how_it_ended(timeout) + (error.empty() ? "" : ": " + error);
    } else if (!outcome.summary) {
        outcome.failure = "exit 0 but no summary line on stdout";
    } else if (outcome.summary->number("ok") != static_cast<double>(requests) ||
               !outcome.summary->number("elapsed_ms") || !outcome.summary->number("peak_rss_kib")) {
        outcome.failure = "exit 0 but the summary does not report ok=" + std::to_string(requests) +
                          " with elapsed_ms and peak_rss_kib";
    } else {
        outcome.ok = true;
    }
    return outcome;
}

void write_file(const std::string& path, const std::string& text) {
    const std::filesystem::path parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) {
        std::error_code ignored; // a failure shows as the write's failure just below
        std::filesystem::create_directories(parent, ignored);
    }
    std::ofstream out(path, std::ios::trunc);
    out << text;
    out.close();
    if (!out) {
        throw std::runtime_error("write " + path + ": cannot write the file");
    }
}

std::string command_line(int argc, char** argv) {
    std::string line = "bench";
    for (int i = 1; i < argc; ++i) {
        line += " ";
        line += argv[i];
    }
    return line;
}

// A row that will run: its name and its program.
struct RowToRun {
    std::string row;
    std::string program;
};

// The rows asked for whose programs exist in `build`; each missing one becomes a note.
std::vector<RowToRun> find_rows(const DriverOptions& o, const std::string& build,
                                bench::Report& report) {
    std::vector<RowToRun> rows;
    for (const std::string& wanted : o.rows) {
        for (const RowProgram& p : kRows) {
            if (p.row != wanted) {
                continue;
            }
            const std::string path = build + "/" + p.path_in_build;
            if (is_executable(path)) {
                rows.push_back({p.row, path});
            } else if (p.row == "asio") {
                report.notes.push_back(
                    "The asio reference row is skipped: asio was not found when this build was "
                    "configured (`apt-get install libasio-dev`, then configure again). It is a "
                    "benchmark-only dependency; nothing else needs it.");
            } else {
                report.notes.push_back(p.row + " is skipped: its program is not in this build (" +
                                       p.path_in_build + ").");
            }
        }
    }
    return rows;
}

// One cell per row and size, in table order; sizes that are not sensible carry their reason.
void plan_cells(const DriverOptions& o, const std::vector<RowToRun>& rows, bench::Report& report) {
    for (const RowToRun& r : rows) {
        for (const std::size_t n : o.requests) {
            bench::Cell cell;
            cell.row = r.row;
            cell.requests = n;
            cell.delay_ms = o.delay_ms;
            for (const NotSensible& ns : kNotSensible) {
                if (!o.all && ns.row == r.row && n >= ns.from_requests) {
                    cell.not_run = ns.why;
                }
            }
            report.cells.push_back(std::move(cell));
        }
    }
}

// Every run of every cell, against the server at `address`, with a progress line on stderr each.
// Runs interleave rows (run 1 of every row and size, then run 2, ...), so a burst of load from
// elsewhere on the machine spreads over all rows instead of spoiling one row's runs.
void run_all(const DriverOptions& o, const std::vector<RowToRun>& rows, bench::Report& report,
             bench::BackgroundProcess& server, const std::string& address) {
    std::size_t planned = 0;
    for (const bench::Cell& cell : report.cells) {
        planned += cell.not_run.empty() ? static_cast<std::size_t>(o.runs) : 0;
    }
    std::size_t done = 0;
    for (int run = 1; run <= o.runs; ++run) {
        for (const std::size_t n : o.requests) {
            for (const RowToRun& r : rows) {
                bench::Cell* cell = nullptr;
                for (bench::Cell& c : report.cells) {
                    cell = (c.row == r.row && c.requests == n) ? &c : cell;
                }
                if (cell == nullptr || !cell->not_run.empty()) {
                    continue;
                }
                if (!server.running()) {
                    throw std::runtime_error("delay server: it ended during the benchmark");
                }
                bench::RunOutcome outcome =
                    run_once(r.program, address, n, o.delay_ms, std::chrono::seconds(o.timeout_s));
                std::string line =
                    "[" + std::to_string(++done) + "/" + std::to_string(planned) + "] " + r.row +
                    " " + bench::with_commas(static_cast<long long>(n)) + " x " +
                    std::to_string(o.delay_ms) + " ms, run " + std::to_string(run) + ": ";
                if (outcome.ok) {
                    line +=
                        bench::with_commas(std::llround(*outcome.summary->number("elapsed_ms"))) +
                        " ms, " + bench::mib(*outcome.summary->number("peak_rss_kib"));
                } else {
                    line += "FAILED: " + outcome.failure;
                }
                common::eprintln(line);
                cell->runs.push_back(std::move(outcome));
                // Let the server finish closing this run's connections before the next starts.
                std::this_thread::sleep_for(std::chrono::milliseconds(o.pause_ms));
            }
        }
    }
}

// --check: prints each figure as met, MISSED or skip; returns the exit status.
int check(const DriverOptions& o, const std::vector<bench::Cell>& cells) {
    constexpr std::size_t kAt = 10000;
    common::println("check: the figures the chapter issues set, at " +
                    bench::with_commas(static_cast<long long>(kAt)) + " requests x " +
                    std::to_string(o.delay_ms) + " ms" +
                    (o.delay_ms == 1000 ? "" : " (they were set for 1000 ms)"));
    int missed = 0;
    for (const bench::Figure& f : bench::check_figures(cells, kAt)) {
        const char* verdict = f.skipped ? "  skip   " : f.met ? "  met    " : "  MISSED ";
        common::println(verdict + f.text);
        missed += (!f.met && !f.skipped) ? 1 : 0;
    }
    if (missed > 0) {
        common::eprintln("error: check: " + std::to_string(missed) + " figure" +
                         (missed == 1 ? "" : "s") + " missed (see the MISSED lines)");
        return 1;
    }
    common::println("check: every figure met");
    return 0;
}

int run(const DriverOptions& o, const std::string& command) {
    const std::string build = o.build_dir.empty() ? default_build_dir() : o.build_dir;
    const std::string server_program = build + "/common/delayserver";
    if (!is_executable(server_program)) {
        throw std::runtime_error("delay server: " + server_program +
                                 " not found (build the superbuild first, or name it with "
                                 "--build-dir)");
    }
    if (std::string_view(BENCH_BUILD_TYPE) != "Release") {
        common::eprintln("warning: this is a '" + std::string(BENCH_BUILD_TYPE) +
                         "' build; the figures mean something only for a release build "
                         "(common/scripts/bench.sh makes one)");
    }

    bench::Report report;
    report.runs = o.runs;
    const std::vector<RowToRun> rows = find_rows(o, build, report);
    plan_cells(o, rows, report);

    const double load_before = load_average();
    if (load_before >= 2.0) {
        common::eprintln("warning: load average " + fixed1(load_before) +
                         ": other work on this machine will show in the figures (the results "
                         "record the load seen at the start)");
    }
    {
        // One external server for every run, as the chapter READMEs measure: started with port 0,
        // its real address read from the `listening on` line it always prints.
        bench::BackgroundProcess server({server_program, "--port", "0", "--quiet"}, "listening on ",
                                        10s);
        const std::string address =
            server.ready_line().substr(std::string_view("listening on ").size());
        common::eprintln("bench: delay server " + address + " (pid " +
                         std::to_string(server.pid()) + "); " + std::to_string(o.runs) +
                         (o.runs == 1 ? " run" : " runs") + " of each row and size");
        run_all(o, rows, report, server, address);
        report.server_peak_rss_kib = server.status_field("VmHWM");
    }

    const std::string document =
        "Measured " + today() + ": " + machine_line() + "; load average " + fixed1(load_before) +
        " when it started. Each figure is the median of " + std::to_string(o.runs) +
        (o.runs == 1 ? " run" : " runs") + "; every run is N concurrent `GET /" +
        std::to_string(o.delay_ms) +
        "/load-i` against one external `delayserver --quiet`, every body checked.\n\nCommand: `" +
        command + "`\n\n" + bench::markdown_table(report);
    common::println(document);
    if (!o.markdown_file.empty()) {
        write_file(o.markdown_file, document);
        common::eprintln("bench: wrote " + o.markdown_file);
    }
    if (!o.no_svg && (!o.check || o.svg_given)) {
        std::vector<std::string> row_names;
        for (const RowToRun& r : rows) {
            row_names.push_back(r.row);
        }
        write_file(o.svg_file, bench::svg_chart(report.cells, row_names, o.runs));
        common::eprintln("bench: wrote " + o.svg_file);
    }
    return o.check ? check(o, report.cells) : 0;
}

} // namespace

int main(int argc, char** argv) {
    try {
        const DriverOptions options = parse_command_line(argc, argv);
        if (options.help) {
            common::println(kUsage);
            return 0;
        }
        return run(options, command_line(argc, argv));
    } catch (const std::exception& e) {
        common::eprintln(std::string("error: ") + e.what());
        return 1;
    }
}
