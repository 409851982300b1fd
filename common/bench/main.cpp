// bench: the benchmark driver. It starts one external delay server, runs every chapter's load
// mode (and the asio reference client, when it was built) on the same workloads several times,
// writes the results file (results_file.hpp) and the SVG chart, and prints a markdown table of
// medians; with --check it also checks the repository's targets. With --update-docs or
// --check-docs it runs nothing and brings the READMEs in step with the results file (docs.hpp).
// It sits beside the chapters, not under them: it only runs their programs and reads their
// `summary:` lines (child_process.hpp, summary_line.hpp).
#include "check.hpp"
#include "child_process.hpp"
#include "docs.hpp"
#include "options.hpp"
#include "results.hpp"
#include "results_file.hpp"
#include "svg_chart.hpp"
#include "tables.hpp"

#include <common/cli.hpp>
#include <common/print.hpp>

#include <algorithm>
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

#include <sys/utsname.h>
#include <unistd.h>

namespace {

using namespace std::chrono_literals;

// A row of the table: the chapter programs, named like their folders, and the asio client.
struct RowProgram {
    std::string row;
    std::string path_in_build;                // relative to the superbuild's build directory
    std::vector<std::string> extra_args = {}; // after the load-mode flags
    // From the build with the trace hooks compiled out (the -notrace one), not the main one.
    bool notrace_build = false;
};

const std::vector<RowProgram> kRows = {
    {"ch01", "ch01-threads/ch01-threads"},
    {"ch02", "ch02-epoll-reactor/ch02-epoll-reactor"},
    {"ch03", "ch03-leaf-futures/ch03-leaf-futures"},
    {"ch04", "ch04-executor/ch04-executor"},
    // The same program and executors on its io_uring reactor (ch04's README, "Readiness versus
    // completion").
    {"uring", "ch04-executor/ch04-executor", {"--reactor", "uring"}},
    {"ch05", "ch05-coroutines/ch05-coroutines"},
    {"fibers", "ch05-coroutines/ch05-fibers"}, // ch05-coroutines/fibers: stackful coroutines
    {"asio", "common/bench/asio_client"},
    // Controls: the same programs built with -DASYNC_TRACE=OFF (common/trace.hpp). Beside ch04 and
    // ch05 they show what the trace hooks cost when compiled in but not enabled.
    {.row = "ch04-notrace", .path_in_build = "ch04-executor/ch04-executor", .notrace_build = true},
    {.row = "ch05-notrace",
     .path_in_build = "ch05-coroutines/ch05-coroutines",
     .notrace_build = true},
};

// Sizes where a chapter's design has stopped being a sensible way to do the job. The table
// prints the reason in place of figures; --all runs them anyway. At the default sizes nothing is
// skipped: ch01 still finishes 10,000 requests (with 10,000 threads, which is the lesson), and
// ch03's re-polling costs it polls, not a stall.
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

// The first line of /proc/cpuinfo that starts with `key`, after its colon ("" if none).
std::string cpuinfo(std::string_view key) {
    std::ifstream in("/proc/cpuinfo");
    for (std::string line; std::getline(in, line);) {
        if (line.rfind(key, 0) == 0 && line.find(':') != std::string::npos) {
            const std::size_t start = line.find_first_not_of(' ', line.find(':') + 1);
            return start == std::string::npos ? "" : line.substr(start);
        }
    }
    return {};
}

// "2 cores (Intel(R) Xeon(R) Processor, virtualised), 23.4 GiB of memory, Linux 6.1.0, loopback"
std::string machine_line() {
    long mem_kib = 0;
    std::ifstream meminfo("/proc/meminfo");
    std::string key;
    meminfo >> key >> mem_kib; // "MemTotal: <kB> kB"
    const std::string model = cpuinfo("model name");
    const bool virtualised =
        (" " + cpuinfo("flags") + " ").find(" hypervisor ") != std::string::npos;
    std::string cpu = model;
    if (virtualised) {
        cpu += cpu.empty() ? "virtualised" : ", virtualised";
    }
    utsname un{};
    const std::string kernel =
        ::uname(&un) == 0 ? std::string(un.sysname) + " " + un.release + " " + un.machine : "Linux";
    return std::to_string(std::thread::hardware_concurrency()) + " cores" +
           (cpu.empty() ? "" : " (" + cpu + ")") + ", " +
           fixed1(static_cast<double>(mem_kib) / 1024 / 1024) + " GiB of memory, " + kernel +
           ", loopback";
}

// The compiler this driver was built with, which bench.sh also builds the chapters with.
std::string build_line() {
#if defined(__clang__)
    const std::string compiler = "clang " + std::string(__clang_version__);
#elif defined(__GNUC__)
    const std::string compiler = "g++ " + std::string(__VERSION__);
#else
    const std::string compiler = "an unknown compiler";
#endif
    return compiler + ", " + std::string(BENCH_BUILD_TYPE) + " build";
}

std::string today_utc() {
    const std::time_t now = std::time(nullptr);
    std::tm utc{};
    ::gmtime_r(&now, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%d", &utc);
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

bench::RunOutcome run_once(const std::string& program, const std::vector<std::string>& extra_args,
                           const std::string& server, std::size_t requests, long delay_ms,
                           std::chrono::seconds timeout) {
    std::vector<std::string> args = {program,
                                     "--server",
                                     server,
                                     "--requests",
                                     std::to_string(requests),
                                     "--delay-ms",
                                     std::to_string(delay_ms)};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    const bench::ChildResult child = bench::run_child(args, timeout);
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
    std::vector<std::string> extra_args;
};

// One row at one size, and its runs so far.
struct PlannedCell {
    std::string row;
    std::size_t requests = 0;
    std::string not_run; // why it is not run ("" when it is)
    std::vector<bench::RunOutcome> runs;
};

// The rows asked for whose programs exist in `build`; each missing one becomes a note.
std::vector<RowToRun> find_rows(const bench::DriverOptions& o, const std::string& build,
                                std::vector<std::string>& notes) {
    const std::string notrace_build =
        o.notrace_build_dir.empty() ? build + "-notrace" : o.notrace_build_dir;
    std::vector<RowToRun> rows;
    for (const std::string& wanted : o.rows) {
        for (const RowProgram& p : kRows) {
            if (p.row != wanted) {
                continue;
            }
            const std::string path =
                (p.notrace_build ? notrace_build : build) + "/" + p.path_in_build;
            if (is_executable(path)) {
                rows.push_back({p.row, path, p.extra_args});
            } else if (p.notrace_build) {
                notes.push_back(p.row +
                                " is skipped: there is no build with the trace hooks "
                                "compiled out at " +
                                notrace_build +
                                " (common/scripts/bench.sh makes one; or configure with "
                                "-DASYNC_TRACE=OFF and name it with --notrace-build-dir).");
            } else if (p.row == "asio") {
                notes.push_back(
                    "The asio reference row is skipped: asio was not found when this build was "
                    "configured (`apt-get install libasio-dev`, then configure again). It is a "
                    "benchmark-only dependency; nothing else needs it.");
            } else {
                notes.push_back(p.row + " is skipped: its program is not in this build (" +
                                p.path_in_build + ").");
            }
        }
    }
    return rows;
}

// One cell per row and size, in table order; sizes that are not sensible carry their reason.
std::vector<PlannedCell> plan_cells(const bench::DriverOptions& o,
                                    const std::vector<RowToRun>& rows) {
    std::vector<PlannedCell> cells;
    for (const RowToRun& r : rows) {
        for (const std::size_t n : o.requests) {
            PlannedCell cell{r.row, n, {}, {}};
            for (const NotSensible& ns : kNotSensible) {
                if (!o.all && ns.row == r.row && n >= ns.from_requests) {
                    cell.not_run = ns.why;
                }
            }
            cells.push_back(std::move(cell));
        }
    }
    return cells;
}

// Every run of every cell, against the server at `address`, with a progress line on stderr each.
// Runs interleave rows (run 1 of every row and size, then run 2, ...), so a burst of load from
// elsewhere on the machine spreads over all rows instead of spoiling one row's runs.
void run_all(const bench::DriverOptions& o, const std::vector<RowToRun>& rows,
             std::vector<PlannedCell>& cells, bench::BackgroundProcess& server,
             const std::string& address) {
    std::size_t planned = 0;
    for (const PlannedCell& cell : cells) {
        planned += cell.not_run.empty() ? static_cast<std::size_t>(o.runs) : 0;
    }
    std::size_t done = 0;
    for (int run = 1; run <= o.runs; ++run) {
        for (const std::size_t n : o.requests) {
            for (const RowToRun& r : rows) {
                PlannedCell* cell = nullptr;
                for (PlannedCell& c : cells) {
                    cell = (c.row == r.row && c.requests == n) ? &c : cell;
                }
                if (cell == nullptr || !cell->not_run.empty()) {
                    continue;
                }
                if (!server.running()) {
                    throw std::runtime_error("delay server: it ended during the benchmark");
                }
                bench::RunOutcome outcome = run_once(r.program, r.extra_args, address, n,
                                                     o.delay_ms, std::chrono::seconds(o.timeout_s));
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

int run(const bench::DriverOptions& o, const std::string& command) {
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

    bench::Results results;
    const std::vector<RowToRun> rows = find_rows(o, build, results.notes);
    std::vector<PlannedCell> cells = plan_cells(o, rows);

    results.load_average = load_average();
    if (results.load_average >= 2.0) {
        common::eprintln("warning: load average " + fixed1(results.load_average) +
                         ": other work on this machine will show in the figures (the results "
                         "record the load seen at the start)");
    }
    std::optional<double> server_peak_rss_kib;
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
        run_all(o, rows, cells, server, address);
        if (const auto hwm = server.status_field("VmHWM")) {
            server_peak_rss_kib = static_cast<double>(*hwm);
        }
    }

    results.date = today_utc();
    results.command = command;
    results.machine = machine_line();
    results.build = build_line();
    results.runs = o.runs;
    for (const PlannedCell& planned : cells) {
        bench::Cell cell =
            bench::summarize(planned.row, planned.requests, o.delay_ms, planned.runs);
        cell.not_run = planned.not_run;
        results.cells.push_back(std::move(cell));
    }
    results.server = bench::server_row(results.cells, server_peak_rss_kib);

    // Everything shown from here on is rendered from the results file's text, read back, so
    // what this run prints is exactly what --update-docs will put into the READMEs.
    const std::string text = bench::write_results(results);
    if (!o.results_file.empty()) {
        write_file(o.results_file, text);
        const bool committed = o.results_file == bench::results_path(o.root);
        common::eprintln("bench: wrote " + o.results_file +
                         (committed ? " (common/scripts/bench.sh --update-docs brings the READMEs "
                                      "in step with it)"
                                    : ""));
    }
    const bench::Results shown = bench::parse_results(text);
    const std::string document = bench::render_block(shown, "run").text + "\n\n" +
                                 bench::render_block(shown, "full").text + "\n";
    common::println(document);
    if (!o.markdown_file.empty()) {
        write_file(o.markdown_file, document);
        common::eprintln("bench: wrote " + o.markdown_file);
    }
    if (!o.svg_file.empty()) {
        std::vector<std::string> row_names;
        for (const RowToRun& r : rows) {
            row_names.push_back(r.row);
        }
        write_file(o.svg_file, bench::svg_chart(shown.cells, row_names, shown.runs));
        common::eprintln("bench: wrote " + o.svg_file);
    }
    if (!o.check) {
        return 0;
    }
    // The targets are set for 10,000 requests; checked at the largest size this run measured.
    int missed = 0;
    const std::size_t largest = *std::max_element(o.requests.begin(), o.requests.end());
    common::println(bench::check_text(shown.cells, largest, o.delay_ms, missed));
    if (missed > 0) {
        common::eprintln("error: check: " + std::to_string(missed) + " target" +
                         (missed == 1 ? "" : "s") + " missed (see the MISSED lines)");
        return 1;
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    try {
        const std::vector<std::string_view> args(argv + 1, argv + argc);
        const bench::DriverOptions options = bench::parse_command_line(
            args, std::filesystem::path(BENCH_SOURCE_ROOT).lexically_normal().string());
        if (options.help) {
            common::println(bench::kUsage);
            return 0;
        }
        if (options.update_docs || options.check_docs) {
            return bench::docs_command(options.update_docs ? bench::DocsMode::update
                                                           : bench::DocsMode::check,
                                       options.root, options.results_to_read());
        }
        return run(options, command_line(argc, argv));
    } catch (const std::exception& e) {
        common::eprintln(std::string("error: ") + e.what());
        return 1;
    }
}
