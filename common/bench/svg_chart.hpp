// The results chart, written by the driver itself as SVG text (no plotting library): two panels,
// elapsed time and peak RSS against the number of concurrent requests (log scale), one line per
// row of the table. Part of the benchmark driver; reads the cells of results.hpp.
#pragma once

#include "results.hpp"

#include <string>
#include <vector>

namespace bench {

// `rows` gives the lines' order (and colours). A point is drawn only for a cell whose runs all
// succeeded; the footnote says so. The control rows (is_control_row) are left out.
std::string svg_chart(const std::vector<Cell>& cells, const std::vector<std::string>& rows,
                      int runs);

} // namespace bench
