// Test support: what every chapter's trace test checks about a file written with --trace — that
// it follows the Chrome trace-event format (trace_format_problems) — plus a well-formedness check
// for tracesvg's SVG (xml_problems), and small accessors the causal-order tests share.
#pragma once

#include "common/json.hpp"

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

} // namespace common::test
