// The command-line contract every chapter program shares (see the top-level README):
//   (no arguments)              the chapter's demo against an embedded delay server
//   --server HOST:PORT          talk to an external delay server instead
//   --requests N --delay-ms D   load mode (either alone; the other defaults to 100 / 1000)
//   --timeout-ms T              the run's deadline (default: the longest delay plus 30 s)
//   --trace FILE                record the run as Chrome trace-event JSON (common/trace.hpp)
//   --help
// plus numeric flags a chapter adds (ch02's --scale, ch04's --executors). Any failure is one line
// `error: <what>: <why>` on stderr and exit status 1.
#pragma once

#include "common/net.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace common {

// A bad command line. Its message is "<flag>: <why>", printed as "error: <flag>: <why>".
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A numeric flag a chapter adds, e.g. {"--scale", "divide the demo's delays by N", 1, 1, 100}.
struct ExtraFlag {
    std::string name;
    std::string help;
    long default_value;
    long min;
    long max;
};

struct ProgramInfo {
    std::string_view name;    // "ch02-epoll-reactor"
    std::string_view purpose; // one line for --help
    std::span<const ExtraFlag> extra_flags = {};
};

struct Options {
    std::optional<Endpoint> server; // --server
    bool load = false;              // --requests or --delay-ms given
    std::size_t requests = 100;
    long delay_ms = 1000;
    std::optional<long> timeout_ms;
    std::optional<std::string> trace_file; // --trace: written after the run, see run_program
    bool help = false;
    std::map<std::string, long, std::less<>> extra; // every ExtraFlag, given or defaulted

    long extra_value(std::string_view flag) const; // throws std::out_of_range for unknown names

    // The run's deadline: --timeout-ms if given, else `longest_delay_ms` plus 30 seconds.
    std::chrono::milliseconds deadline(long longest_delay_ms) const;
};

// Parses argv[1..]. Throws UsageError for unknown flags, missing values and bad numbers.
Options parse_options(int argc, const char* const* argv, const ProgramInfo& info);

std::string usage_text(const ProgramInfo& info);

// The whole program: parse, print usage for --help (exit 0), run `body`, and turn any exception
// into `error: <what()>` on stderr with exit status 1. Returns the exit status for main().
// With --trace FILE, recording starts before `body` and the file is written after it, whatever
// its outcome; a file that cannot be written adds `error: trace FILE: <why>` after the run's own
// output and makes the status 1.
int run_program(int argc, const char* const* argv, const ProgramInfo& info,
                const std::function<int(const Options&)>& body);

} // namespace common
