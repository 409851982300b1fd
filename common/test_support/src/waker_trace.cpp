// Implementation of waker_trace.hpp.
#include "common/test_support/waker_trace.hpp"

#include "common/test_support/child_process.hpp"
#include "common/test_support/trace_check.hpp"

#include <set>

namespace common::test {
namespace {

const std::set<std::string> kRuntimeThreads = {"main", "reactor", "exec-1", "exec-2"};

std::string joined(const std::set<std::string>& names) {
    std::string out;
    for (const std::string& name : names) {
        out += (out.empty() ? "" : ", ") + name;
    }
    return out;
}

// What every traced run of a waker runtime must show; `report` gets a line per problem.
void check_traced_run(const ChildRun& run, const json::Value& trace, std::string& report) {
    if (run.status != 0) {
        report += "exit status " + std::to_string(run.status) + ", not 0\n";
    }
    for (const std::string& p : trace_format_problems(trace)) {
        report += "format: " + p + "\n";
    }
    if (thread_names(trace) != kRuntimeThreads) {
        report +=
            "tracks " + joined(thread_names(trace)) + ", not " + joined(kRuntimeThreads) + "\n";
    }
    report += waker_rule_report(trace);
}

std::string with_output(const std::string& report, const ChildRun& run) {
    return report.empty() ? report : report + "stdout:\n" + run.out + "stderr:\n" + run.err;
}

} // namespace

std::string waker_rule_report(const json::Value& trace) {
    std::size_t polls = 0;
    std::size_t caused = 0;
    std::string report;
    for (const std::string& p : wake_before_poll_problems(trace, polls, caused)) {
        report += p + "\n";
    }
    if (caused == 0) {
        report += "no poll was caused by a wake\n";
    }
    if (polls <= caused) {
        report += "every one of the " + std::to_string(polls) +
                  " polls had a wake: the first poll of each task has none\n";
    }
    return report;
}

std::string waker_demo_trace_report(const std::string& program) {
    ChildRun run;
    const json::Value trace = run_traced(program, {"--scale", "20"}, run);
    std::string report;
    check_traced_run(run, trace, report);
    if (const std::size_t handoffs = reactor_handoffs(trace); handoffs < 5 * 3) {
        report += std::to_string(handoffs) +
                  " wakes from the reactor to an executor, fewer than the 15 answers\n";
    }
    return with_output(report, run);
}

std::string waker_load_trace_report(const std::string& program) {
    ChildRun run;
    const json::Value trace =
        run_traced(program, {"--requests", "30", "--delay-ms", "50", "--executors", "3"}, run);
    std::string report;
    check_traced_run(run, trace, report);
    if (lines_of(run.out).size() != 1) {
        report += "stdout has " + std::to_string(lines_of(run.out).size()) +
                  " lines, not the one summary line\n";
    }
    return with_output(report, run);
}

std::string unwritable_trace_report(const std::string& program, std::vector<std::string> args,
                                    std::size_t min_out_lines) {
    const std::string path = "/nonexistent-dir/trace.json";
    args.push_back("--trace");
    args.push_back(path);
    const ChildRun run = run_child(program, args);
    std::string report;
    if (run.killed) {
        report += "killed at the time limit\n";
    }
    if (run.status != 1) {
        report += "exit status " + std::to_string(run.status) + ", not 1\n";
    }
    if (lines_of(run.out).size() <= min_out_lines) {
        report += "the run's own output is missing: " + std::to_string(lines_of(run.out).size()) +
                  " lines on stdout\n";
    }
    if (run.err != "error: trace " + path + ": No such file or directory\n") {
        report += "stderr is not the one error line\n";
    }
    return with_output(report, run);
}

} // namespace common::test
