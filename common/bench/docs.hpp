// `bench --update-docs` and `bench --check-docs`: every *.md file of the repository (build
// directories and hidden ones aside) and the chart, against the results file, without running
// the benchmark. Part of the driver in common/bench; the test common/bench-docs-in-step runs the
// check on the source tree.
#pragma once

#include <string>

namespace bench {

enum class DocsMode { update, check };

// Prints what it found or changed on stdout, then returns the exit status: 0 when everything
// is (now) in step. In update mode nothing is written when any marker is wrong.
int docs_command(DocsMode mode, const std::string& root, const std::string& results_file);

} // namespace bench
