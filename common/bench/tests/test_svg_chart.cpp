// Tests of the benchmark's chart (svg_chart.hpp): with every row the driver knows, each row that is
// drawn has its legend entry, and every entry lies inside the picture. (With eight rows the legend
// once ran off the right edge on one line, and ch01 and asio were left out of the picture.)
#include "results.hpp"
#include "svg_chart.hpp"

#include <doctest/doctest.h>

#include <cstddef>
#include <string>
#include <vector>

namespace {

// The value of attribute `name` in the tag that starts at `tag`, as a number.
double attribute(const std::string& svg, std::size_t tag, const std::string& name) {
    const std::size_t at = svg.find(" " + name + "=\"", tag);
    REQUIRE(at != std::string::npos);
    return std::stod(svg.substr(at + name.size() + 3));
}

} // namespace

TEST_CASE("chart: with every row, each legend entry is drawn inside the picture") {
    std::vector<bench::Cell> cells;
    for (const std::string& row : bench::row_names()) {
        for (const std::size_t requests : {100, 10000}) {
            bench::Cell cell;
            cell.row = row;
            cell.requests = requests;
            cell.delay_ms = 1000;
            cell.runs = 5;
            cell.ok = 5;
            cell.numbers.emplace_back(
                "elapsed_ms", bench::Stat{.median = 1000.0 + static_cast<double>(requests) / 20,
                                          .min = {},
                                          .max = {}});
            cell.numbers.emplace_back("peak_rss_kib",
                                      bench::Stat{.median = 3000.0 + static_cast<double>(requests),
                                                  .min = {},
                                                  .max = {}});
            cells.push_back(cell);
        }
    }
    const std::string svg = bench::svg_chart(cells, bench::row_names(), 5);
    const double width = attribute(svg, svg.find("<svg"), "width");
    const double height = attribute(svg, svg.find("<svg"), "height");

    std::size_t drawn = 0;
    for (const std::string& row : bench::row_names()) {
        const std::string label = bench::row_label(row);
        const std::size_t at = svg.find(">" + label + "</text>");
        CAPTURE(row);
        if (bench::is_control_row(row)) {
            CHECK(at == std::string::npos); // measured in the table, not drawn
            continue;
        }
        REQUIRE(at != std::string::npos);
        ++drawn;
        const std::size_t tag = svg.rfind("<text", at);
        const double x = attribute(svg, tag, "x");
        const double y = attribute(svg, tag, "y");
        // Left-anchored at x, 12 px text: no glyph of it is wider than 8 px.
        CHECK(x >= 0);
        CHECK(x + 8.0 * static_cast<double>(label.size()) <= width);
        CHECK(y > 0);
        CHECK(y <= height);
    }
    CHECK(drawn == 8);
}
