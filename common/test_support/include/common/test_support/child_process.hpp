// Runs a program as a child process with a bounded wait, capturing its stdout and stderr, so a
// chapter's tests can check the program's output contract (one summary line, `error:` lines, exit
// status) against the real binary. A hung child is killed at the limit and reported as such: the
// test fails instead of hanging.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace common::test {

struct ChildRun {
    int status = -1;     // exit status; -1 when it did not exit normally within the limit
    bool killed = false; // true when the limit passed and the child was killed
    std::string out;     // everything it wrote to stdout
    std::string err;     // everything it wrote to stderr
};

// Starts `path` with `args` (argv[1..]) and waits at most `limit` for it to end.
ChildRun run_child(const std::string& path, const std::vector<std::string>& args,
                   std::chrono::milliseconds limit = std::chrono::seconds(40));

// The lines of `text`, without their '\n'.
std::vector<std::string> lines_of(const std::string& text);

// How many of `lines` are exactly `line`.
std::size_t count_lines(const std::vector<std::string>& lines, std::string_view line);

inline bool contains(std::string_view text, std::string_view part) {
    return text.find(part) != std::string_view::npos;
}

} // namespace common::test
