// The benchmark driver's command line: what to run, where to write, or (with --update-docs and
// --check-docs) which READMEs to bring in step with the results file instead of running anything.
// Part of the driver in common/bench; kept apart from main.cpp so that its tests can call it.
#pragma once

#include "results.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace bench {

extern const std::string_view kUsage;

struct DriverOptions {
    int runs = 5;
    std::vector<std::size_t> requests = {100, 1000, 10000};
    bool requests_given = false;
    long delay_ms = 1000;
    bool delay_given = false;
    std::vector<std::string> rows = row_names();
    bool rows_given = false;
    bool all = false;
    long timeout_s = 60;
    long pause_ms = 300;
    std::string build_dir;
    std::string notrace_build_dir; // the ch04-notrace and ch05-notrace programs' build ("" for
                                   // the default: the build directory's name + "-notrace")
    std::string root;              // the repository: default results file, chart and READMEs
    std::string results_file;      // "" on a run that is not full and names none: not written
    std::string markdown_file;     // "" for none
    std::string svg_file;          // "" for none
    bool check = false;
    bool update_docs = false;
    bool check_docs = false;
    bool help = false;

    // Where the results file is read from by --update-docs and --check-docs.
    std::string results_to_read() const;
};

// Parses the arguments after the program name. `source_root` is the repository the program was
// built from (the default --root). Throws common::UsageError on a bad argument.
DriverOptions parse_command_line(const std::vector<std::string_view>& args,
                                 const std::string& source_root);

// The default results file and chart of a repository.
std::string results_path(const std::string& root);
std::string chart_path(const std::string& root);

} // namespace bench
