// Implementation of docs.hpp.
#include "docs.hpp"

#include "doc_markers.hpp"
#include "results_file.hpp"
#include "svg_chart.hpp"

#include <common/print.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace bench {
namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw std::runtime_error("read " + path.string() + ": cannot open the file");
    }
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

void write_file(const fs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) {
        throw std::runtime_error("write " + path.string() + ": cannot write the file");
    }
}

// Every *.md below `root`, sorted, skipping hidden directories (.git) and build trees (build,
// build-asan, ...), which hold copies and generated files rather than the repository's pages.
std::vector<fs::path> markdown_files(const fs::path& root) {
    std::vector<fs::path> files;
    fs::recursive_directory_iterator it(root), end;
    for (; it != end; ++it) {
        const std::string name = it->path().filename().string();
        if (it->is_directory()) {
            if (name.front() == '.' || name.rfind("build", 0) == 0) {
                it.disable_recursion_pending();
            }
        } else if (it->is_regular_file() && it->path().extension() == ".md") {
            files.push_back(it->path());
        }
    }
    std::sort(files.begin(), files.end());
    return files;
}

std::string quoted(const std::string& s) {
    return "'" + s + "'";
}

} // namespace

int docs_command(DocsMode mode, const std::string& root_dir, const std::string& results_file) {
    const fs::path root = fs::path(root_dir).lexically_normal();
    Results results;
    try {
        results = parse_results(read_file(results_file));
    } catch (const std::exception& e) {
        throw std::runtime_error("results file " + results_file + ": " + e.what());
    }

    struct Change {
        fs::path path;
        std::string text;
    };
    std::vector<Change> changes;
    int regions = 0;
    int differences = 0;
    int errors = 0;
    for (const fs::path& path : markdown_files(root)) {
        const std::string before = read_file(path);
        const RewriteResult r = rewrite_markers(before, results);
        const std::string name = path.lexically_relative(root).string();
        regions += r.regions;
        for (const MarkerProblem& p : r.errors) {
            common::println(name + ":" + std::to_string(p.line) + ": " + p.marker + ": " +
                            p.message);
            ++errors;
        }
        for (const MarkerProblem& p : r.differences) {
            if (mode == DocsMode::check) {
                common::println(name + ":" + std::to_string(p.line) + ": " + p.marker +
                                ": expected " + quoted(p.expected) + ", found " + quoted(p.found));
            }
            ++differences;
        }
        if (r.text != before) {
            changes.push_back({path, r.text});
        }
    }

    // The chart is drawn from the same data.
    std::vector<std::string> rows;
    for (const Cell& cell : results.cells) {
        if (std::find(rows.begin(), rows.end(), cell.row) == rows.end()) {
            rows.push_back(cell.row);
        }
    }
    const fs::path chart = root / "common" / "bench" / "results.svg";
    const std::string svg = svg_chart(results.cells, rows, results.runs);
    const bool chart_differs = !fs::exists(chart) || read_file(chart) != svg;

    const std::string source = fs::absolute(results_file)
                                   .lexically_normal()
                                   .lexically_proximate(fs::absolute(root))
                                   .string();
    if (mode == DocsMode::check) {
        if (chart_differs) {
            common::println(chart.lexically_relative(root).string() +
                            ": the chart differs from the one the results file draws");
        }
        if (errors == 0 && differences == 0 && !chart_differs) {
            common::println("check-docs: " + std::to_string(regions) +
                            " marked regions and the chart match " + source);
            return 0;
        }
        std::string what = std::to_string(differences) + " of " + std::to_string(regions) +
                           " marked regions differ from " + source;
        if (chart_differs) {
            what += ", the chart differs";
        }
        if (errors > 0) {
            what += ", " + std::to_string(errors) + " marker" + (errors == 1 ? " is" : "s are") +
                    " wrong (fix by hand)";
        }
        common::eprintln("error: check-docs: " + what +
                         "; common/scripts/bench.sh --update-docs regenerates them");
        return 1;
    }

    if (errors > 0) {
        common::eprintln("error: update-docs: " + std::to_string(errors) + " marker" +
                         (errors == 1 ? "" : "s") + " wrong (listed above); nothing was written");
        return 1;
    }
    for (const Change& c : changes) {
        write_file(c.path, c.text);
        common::println("update-docs: rewrote " + c.path.lexically_relative(root).string());
    }
    if (chart_differs) {
        write_file(chart, svg);
        common::println("update-docs: redrew " + chart.lexically_relative(root).string());
    }
    common::println("update-docs: " + std::to_string(regions) + " marked regions, " +
                    std::to_string(differences) + " changed, from " + source);
    return 0;
}

} // namespace bench
