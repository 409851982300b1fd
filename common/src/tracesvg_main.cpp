// tracesvg: draws a trace that a chapter wrote with `--trace FILE` as an SVG timeline on stdout.
//   tracesvg trace.json > timeline.svg
//   tracesvg --part "Part 2" --caption "what this run was" trace.json > part2.svg
// The drawing itself is common/trace_svg.hpp; this file only reads the command line and the file.
#include "common/json.hpp"
#include "common/print.hpp"
#include "common/trace_svg.hpp"

#include <cstdio>
#include <exception>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

int main(int argc, char** argv) {
    common::trace::SvgOptions options;
    std::string path;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if ((arg == "--part" || arg == "--caption") && i + 1 < argc) {
            (arg == "--part" ? options.part : options.caption) = argv[++i];
        } else if (arg == "--help" || arg == "-h") {
            std::fputs("usage: tracesvg [--part TEXT] [--caption TEXT] TRACE.json > timeline.svg\n"
                       "  --part TEXT     draw only the part that starts at the mark named TEXT\n"
                       "  --caption TEXT  a line under the title\n",
                       stdout);
            return 0;
        } else if (path.empty() && !arg.starts_with("--")) {
            path = arg;
        } else {
            common::eprintln("error: " + std::string(arg) + ": unknown option (try --help)");
            return 1;
        }
    }
    if (path.empty()) {
        common::eprintln("error: tracesvg: expected a trace file (try --help)");
        return 1;
    }
    try {
        std::ifstream file(path, std::ios::binary);
        if (!file) {
            common::eprintln("error: " + path + ": cannot open");
            return 1;
        }
        std::ostringstream text;
        text << file.rdbuf();
        const std::string svg = common::trace::render_svg(common::json::parse(text.str()), options);
        std::fwrite(svg.data(), 1, svg.size(), stdout);
        return std::fflush(stdout) == 0 ? 0 : 1;
    } catch (const std::exception& e) {
        common::eprintln("error: " + path + ": " + e.what());
        return 1;
    }
}
