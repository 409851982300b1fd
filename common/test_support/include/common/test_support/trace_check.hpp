// Test support: what every chapter's trace test checks about a file written with --trace — that
// it follows the Chrome trace-event format (trace_format_problems) — plus a well-formedness check
// for tracesvg's SVG (xml_problems), and small accessors the causal-order tests share.
#pragma once

#include "common/json.hpp"

#include <cstddef>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace common::test {

// The whole file at `path`; throws std::runtime_error when it cannot be read.
std::string read_file(const std::string& path);

// What is wrong with `trace` as a Chrome trace-event document, one line per problem (empty when
// nothing is): a `traceEvents` array; every event has ph, ts, pid and tid; every span ('X') has
// a duration >= 0 and spans on one thread nest (none ends inside another it started before);
// every arrow start ('s') has exactly one end ('f') with its id, and the other way round; every
// thread that recorded an event is named by a thread_name metadata event.
std::vector<std::string> trace_format_problems(const json::Value& trace);

// What is wrong with `xml` as a well-formed XML document, one line per problem: every tag closed
// in order, attribute values quoted, no raw '<' or stray '&' in text, one root element.
std::vector<std::string> xml_problems(std::string_view xml);

// The events of a trace (its traceEvents array), for tests that look for a sequence.
const std::vector<json::Value>& trace_events(const json::Value& trace);

// "reactor", "main", ... for the thread id `tid` of `trace` (empty when it has no name).
std::string thread_name(const json::Value& trace, double tid);

// Every thread name the trace declares ("main", "reactor", "exec-1", ...).
std::set<std::string> thread_names(const json::Value& trace);

// How many wake arrows go from the reactor's track to another thread's: the handoffs from the
// reactor thread to the executor threads (ch04, ch05).
std::size_t reactor_handoffs(const json::Value& trace);

} // namespace common::test

namespace common::test {

// The causal rule of a runtime with wakers (ch04, ch05): every poll of a task after its first is
// caused by a wake of that task. For each span named "poll task <id>: ...", grouped by thread, by
// task id and by the part of the run it falls in (the marks split a run into parts, and each part
// starts new executors whose task ids start again at 1), every poll but the first must hold the
// end of an arrow that starts at an instant "wake task <id>" recorded no later than the poll.
// Returns one line per poll that breaks the rule (empty when none does), and sets `polls` and
// `caused` to how many polls it looked at and how many were caused by a wake.
std::vector<std::string> wake_before_poll_problems(const json::Value& trace, std::size_t& polls,
                                                   std::size_t& caused);

} // namespace common::test

#include "common/test_support/child_process.hpp"

namespace common::test {

// Runs `program` with `args` plus `--trace <a scratch file>`, keeps what it printed in `run`, and
// returns the trace it wrote, parsed (the scratch file is removed). Throws when there is none.
json::Value run_traced(const std::string& program, std::vector<std::string> args, ChildRun& run);

} // namespace common::test
