// Test support: the trace tests ch04 and ch05 share. Both programs run one runtime with wakers
// (ch05 writes its tasks as coroutines on ch04's executor), so the same things must hold in their
// traces: the named tracks, every poll of a task after its first caused by a wake of that task,
// the reactor thread handing wakes to the executors, and a trace that cannot be written costing
// one error line. Each function runs the program and returns a report for one CHECK: "" when all
// holds, else one line per problem followed by what the program printed. What only one chapter
// shows (ch05's coroutine resumptions) stays in that chapter's tests.
#pragma once

#include "common/json.hpp"

#include <string>
#include <vector>

namespace common::test {

// The causal rule (wake_before_poll_problems in trace_check.hpp) as a report: a line per poll
// after a task's first that no wake caused, plus a line when no poll was caused by a wake at all
// or when every poll was (the first polls, which spawn queued, have none: a trace where every poll
// had a wake is not what a runtime records).
std::string waker_rule_report(const json::Value& trace);

// The demo, `program --scale 20`: exit 0; the trace follows the format; its tracks are main,
// reactor, exec-1 and exec-2; the causal rule holds; and at least 15 wakes go from the reactor to
// an executor (each of the five answers of three parts, at least).
std::string waker_demo_trace_report(const std::string& program);

// Load mode over three executors, `program --requests 30 --delay-ms 50 --executors 3`: as the
// demo (without the handoff count), and stdout is the one summary line.
std::string waker_load_trace_report(const std::string& program);

// `program` with `args` and `--trace` to a file in a directory that does not exist: the run's own
// output on stdout (more than `min_out_lines` lines), then exactly one line on stderr,
// `error: trace <path>: No such file or directory`, and exit status 1.
std::string unwritable_trace_report(const std::string& program, std::vector<std::string> args,
                                    std::size_t min_out_lines);

} // namespace common::test
