// The marked regions of a README, regenerated from the results file. Two forms:
//   inline, inside a line:  <!-- bench:ch02/10000/elapsed -->1,337 ms<!-- /bench -->
//   a block, whole lines:   <!-- bench:table:full -->
//                           ...the generated lines...
//                           <!-- /bench -->
// The key after "bench:" is rendered by tables.hpp (render_field, render_block); everything
// outside the markers is left exactly as it was. Markers inside fenced code blocks and inline
// code spans are text, not markers, so a README can show the syntax. Part of the driver in
// common/bench: `bench --update-docs` writes the result, `bench --check-docs` only compares.
#pragma once

#include "results.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace bench {

struct MarkerProblem {
    std::size_t line = 0; // 1-based, in the document as it was read
    std::string marker;   // "<!-- bench:ch02/10000/elapsed -->"
    std::string message;  // for an error: what is wrong
    std::string expected; // for a difference: what the results file gives (for a block, the
    std::string found;    // first line that differs) and what the document holds
};

struct RewriteResult {
    std::string text;                       // the document with every region regenerated
    int regions = 0;                        // marked regions found
    std::vector<MarkerProblem> differences; // regions whose text was not what the file gives
    std::vector<MarkerProblem> errors;      // unknown keys, unclosed or stray markers
};

RewriteResult rewrite_markers(std::string_view document, const Results& results);

} // namespace bench
