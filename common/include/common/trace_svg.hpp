// tracesvg's drawing: a trace written by common/trace.hpp (Chrome trace-event JSON) as one
// self-contained SVG timeline — one lane per thread, polls as boxes coloured by their result,
// time asleep in epoll_wait shaded, each wake an arrow to the poll it caused, and a legend. The
// READMEs' timeline pictures are drawn by it (common/scripts/timelines.sh).
#pragma once

#include "common/json.hpp"

#include <string>

namespace common::trace {

struct SvgOptions {
    // When not empty: draw only the part of the run that starts at the first mark whose name
    // contains this text and ends at the next mark (or the end). Throws std::runtime_error when
    // no mark matches.
    std::string part;
    // Drawing width in pixels.
    int width = 1200;
    // A line under the title (what the run was), or empty.
    std::string caption;
};

// The SVG document for `trace` (a parsed `{"traceEvents": [...]}`). Throws std::runtime_error
// when `trace` is not a trace.
std::string render_svg(const json::Value& trace, const SvgOptions& options);

} // namespace common::trace
