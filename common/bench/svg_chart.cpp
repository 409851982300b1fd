// Implementation of svg_chart.hpp. Coordinates are computed here by hand: a linear y axis for
// time (its floor is the delay), log axes for requests and memory (they span two decades and
// two orders of magnitude).
#include "svg_chart.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <iterator>
#include <set>

namespace bench {
namespace {

std::string num(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f", value);
    return text;
}

struct Style {
    const char* colour;
    const char* dash; // stroke-dasharray, "" for solid
};

Style style_of(const std::string& row) {
    if (row == "ch01")
        return {"#d62728", ""};
    if (row == "ch02")
        return {"#1f77b4", ""};
    if (row == "ch03")
        return {"#ff7f0e", ""};
    if (row == "ch04")
        return {"#2ca02c", ""};
    if (row == "uring")
        return {"#2ca02c", "5 3"}; // ch04's colour, dashed: the same executors on another reactor
    if (row == "ch05")
        return {"#9467bd", ""};
    if (row == "fibers")
        return {"#9467bd", "8 3"}; // ch05's colour, dashed: the other ch05 model
    if (row == "asio")
        return {"#555555", "6 4"};
    return {"#8c564b", "2 3"};
}

// A plot area on the canvas and the mapping from data to it.
struct Panel {
    double left, top, width, height;
    double x_lo, x_hi;                   // log10(requests)
    double y_lo, y_hi;                   // data units after y_map
    std::function<double(double)> y_map; // identity or log2

    double px(double requests) const {
        return left + (std::log10(requests) - x_lo) / (x_hi - x_lo) * width;
    }
    double py(double value) const {
        return top + height - (y_map(value) - y_lo) / (y_hi - y_lo) * height;
    }
};

std::string text(double x, double y, const std::string& s, const char* anchor = "middle",
                 int size = 12, const char* extra = "") {
    return "<text x=\"" + num(x) + "\" y=\"" + num(y) + "\" text-anchor=\"" + anchor +
           "\" font-size=\"" + std::to_string(size) + "\"" + extra + ">" + s + "</text>\n";
}

std::string line(double x1, double y1, double x2, double y2, const char* stroke,
                 const char* extra = "") {
    return "<line x1=\"" + num(x1) + "\" y1=\"" + num(y1) + "\" x2=\"" + num(x2) + "\" y2=\"" +
           num(y2) + "\" stroke=\"" + stroke + "\"" + extra + "/>\n";
}

// Frame, grid, ticks and axis titles of one panel. `y_ticks` are in data units.
std::string axes(const Panel& p, const std::set<std::size_t>& x_ticks,
                 const std::vector<std::pair<double, std::string>>& y_ticks,
                 const std::string& title, const std::string& y_title) {
    std::string out;
    out += "<rect x=\"" + num(p.left) + "\" y=\"" + num(p.top) + "\" width=\"" + num(p.width) +
           "\" height=\"" + num(p.height) + "\" fill=\"#ffffff\" stroke=\"#444444\"/>\n";
    for (const std::size_t x : x_ticks) {
        const double px = p.px(static_cast<double>(x));
        out += line(px, p.top, px, p.top + p.height, "#e4e4e4");
        out += text(px, p.top + p.height + 18, with_commas(static_cast<long long>(x)));
    }
    for (const auto& [value, label] : y_ticks) {
        const double py = p.py(value);
        out += line(p.left, py, p.left + p.width, py, "#e4e4e4");
        out += text(p.left - 6, py + 4, label, "end");
    }
    out += text(p.left + p.width / 2, p.top - 10, title, "middle", 14, " font-weight=\"bold\"");
    out += text(p.left + p.width / 2, p.top + p.height + 40, "concurrent requests (log scale)");
    const double yx = p.left - 52;
    const double yy = p.top + p.height / 2;
    out += "<text x=\"" + num(yx) + "\" y=\"" + num(yy) +
           "\" text-anchor=\"middle\" font-size=\"12\" transform=\"rotate(-90 " + num(yx) + " " +
           num(yy) + ")\">" + y_title + "</text>\n";
    return out;
}

// One polyline with markers per row, for the cells whose runs all succeeded.
std::string series(const Panel& p, const std::vector<Cell>& cells,
                   const std::vector<std::string>& rows, const char* key, double scale) {
    std::string out;
    for (const std::string& row : rows) {
        const Style s = style_of(row);
        std::vector<std::pair<double, double>> points;
        for (const Cell& cell : cells) {
            if (cell.row == row && cell.all_ok() && cell.median(key)) {
                points.emplace_back(p.px(static_cast<double>(cell.requests)),
                                    p.py(*cell.median(key) * scale));
            }
        }
        std::sort(points.begin(), points.end());
        if (points.size() > 1) {
            out += "<polyline fill=\"none\" stroke=\"" + std::string(s.colour) +
                   "\" stroke-width=\"2\"" +
                   (*s.dash ? " stroke-dasharray=\"" + std::string(s.dash) + "\"" : "") +
                   " points=\"";
            for (const auto& [x, y] : points) {
                out += num(x) + "," + num(y) + " ";
            }
            out += "\"/>\n";
        }
        for (const auto& [x, y] : points) {
            out += "<circle cx=\"" + num(x) + "\" cy=\"" + num(y) + "\" r=\"4\" fill=\"" +
                   s.colour + "\"/>\n";
        }
    }
    return out;
}

// A step of 1, 2 or 5 × 10^k that cuts `span` into at most `max_ticks` parts.
double nice_step(double span, int max_ticks) {
    const double raw = span / max_ticks;
    const double power = std::pow(10.0, std::floor(std::log10(raw)));
    for (const double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
        if (m * power >= raw) {
            return m * power;
        }
    }
    return 10 * power;
}

std::string mib_label(double value) {
    char t[32];
    std::snprintf(t, sizeof t, value < 1 ? "%.2g" : "%.0f", value);
    return t;
}

} // namespace

std::string svg_chart(const std::vector<Cell>& all_cells, const std::vector<std::string>& all_rows,
                      int runs) {
    // The control rows (ch04-notrace, ...) measure a build option, not a layer: not drawn.
    std::vector<Cell> cells;
    std::copy_if(all_cells.begin(), all_cells.end(), std::back_inserter(cells),
                 [](const Cell& c) { return !is_control_row(c.row); });
    std::vector<std::string> rows;
    std::copy_if(all_rows.begin(), all_rows.end(), std::back_inserter(rows),
                 [](const std::string& row) { return !is_control_row(row); });
    // The data ranges, over the points that will be drawn.
    std::set<std::size_t> sizes;
    double t_lo = 1e300, t_hi = 0, m_lo = 1e300, m_hi = 0;
    long delay_ms = 0;
    for (const Cell& cell : cells) {
        sizes.insert(cell.requests);
        delay_ms = cell.delay_ms;
        if (cell.all_ok() && cell.median("elapsed_ms") && cell.median("peak_rss_kib")) {
            const double t = *cell.median("elapsed_ms");
            const double m = *cell.median("peak_rss_kib") / 1024.0;
            t_lo = std::min(t_lo, t);
            t_hi = std::max(t_hi, t);
            m_lo = std::min(m_lo, m);
            m_hi = std::max(m_hi, m);
        }
    }
    if (sizes.empty() || t_hi == 0) { // nothing succeeded: an empty frame, still valid SVG
        t_lo = t_hi = static_cast<double>(std::max(delay_ms, 1L));
        m_lo = m_hi = 1;
        if (sizes.empty()) {
            sizes = {100, 1000, 10000};
        }
    }

    // The legend goes under the panels, at most four entries to a line (eight rows would not fit
    // on one), so the picture grows by a line for every four rows.
    constexpr std::size_t kLegendPerLine = 4;
    constexpr double kLegendTop = 452, kLegendLineHeight = 24, kEntryWidth = 220;
    const std::size_t legend_lines =
        std::max<std::size_t>(1, (rows.size() + kLegendPerLine - 1) / kLegendPerLine);
    const double footnote_y =
        kLegendTop + kLegendLineHeight * static_cast<double>(legend_lines - 1) + 32;
    constexpr double kWidth = 1000;
    const double kHeight = footnote_y + 16;
    const double x_lo = std::log10(static_cast<double>(*sizes.begin())) - 0.2;
    const double x_hi = std::log10(static_cast<double>(*sizes.rbegin())) + 0.2;

    // Time: linear, from the delay (no run can be faster) or below, to above the slowest.
    const double floor_ms = std::min(t_lo, static_cast<double>(delay_ms));
    const double step = nice_step(std::max(t_hi - floor_ms, 100.0), 6);
    // A quarter step of room under the lowest point, so no marker sits on the frame.
    const double y_lo = std::floor((floor_ms - step / 4) / step) * step;
    const double y_hi = std::ceil(t_hi / step) * step + step / 2;
    const Panel time{
        80, 70, 380, 300, x_lo, x_hi, std::max(0.0, y_lo), y_hi, [](double v) { return v; }};
    std::vector<std::pair<double, std::string>> time_ticks;
    for (double v = time.y_lo; v <= y_hi + 1e-9; v += step) {
        time_ticks.emplace_back(v, with_commas(std::llround(v)));
    }

    // Memory: log2, whole powers of two around the data.
    // (A tenth of room each way, so no marker sits on the frame.)
    const double m_lo2 = std::floor(std::log2(m_lo / 1.1));
    const double m_hi2 = std::max(std::ceil(std::log2(m_hi * 1.1)), m_lo2 + 1);
    const Panel memory{
        590, 70, 380, 300, x_lo, x_hi, m_lo2, m_hi2, [](double v) { return std::log2(v); }};
    std::vector<std::pair<double, std::string>> memory_ticks;
    const int every = (m_hi2 - m_lo2) > 8 ? 2 : 1;
    for (double e = m_lo2; e <= m_hi2; e += every) {
        memory_ticks.emplace_back(std::pow(2.0, e), mib_label(std::pow(2.0, e)));
    }

    std::string out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num(kWidth) +
                      "\" height=\"" + num(kHeight) + "\" viewBox=\"0 0 " + num(kWidth) + " " +
                      num(kHeight) +
                      "\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n";
    out += "<rect width=\"100%\" height=\"100%\" fill=\"#fafafa\"/>\n";
    out += text(kWidth / 2, 26,
                "N concurrent requests × " + with_commas(delay_ms) +
                    " ms against one delay server: medians of " + std::to_string(runs) +
                    (runs == 1 ? " run" : " runs"),
                "middle", 16, " font-weight=\"bold\"");

    out += axes(time, sizes, time_ticks, "elapsed time", "elapsed, ms (the delay is the floor)");
    const double delay_y = time.py(static_cast<double>(delay_ms));
    if (delay_y >= time.top && delay_y <= time.top + time.height) {
        out += line(time.left, delay_y, time.left + time.width, delay_y, "#999999",
                    " stroke-dasharray=\"3 3\"");
        out += text(time.left + time.width - 4, delay_y - 4,
                    "delay " + with_commas(delay_ms) + " ms", "end", 11, " fill=\"#777777\"");
    }
    out += series(time, cells, rows, "elapsed_ms", 1.0);

    out += axes(memory, sizes, memory_ticks, "peak RSS of the client process",
                "peak RSS, MiB (log scale)");
    out += series(memory, cells, rows, "peak_rss_kib", 1.0 / 1024.0);

    // The legend: one entry per row, kLegendPerLine to a line, each line centred.
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const std::string& row = rows[i];
        const std::size_t line_index = i / kLegendPerLine;
        const std::size_t on_this_line =
            std::min(kLegendPerLine, rows.size() - line_index * kLegendPerLine);
        const double legend_y = kLegendTop + kLegendLineHeight * static_cast<double>(line_index);
        const double x = kWidth / 2 - kEntryWidth * static_cast<double>(on_this_line) / 2 +
                         kEntryWidth * static_cast<double>(i % kLegendPerLine);
        const Style s = style_of(row);
        out += "<line x1=\"" + num(x) + "\" y1=\"" + num(legend_y) + "\" x2=\"" + num(x + 28) +
               "\" y2=\"" + num(legend_y) + "\" stroke=\"" + s.colour + "\" stroke-width=\"2\"" +
               (*s.dash ? " stroke-dasharray=\"" + std::string(s.dash) + "\"" : "") + "/>\n";
        out += "<circle cx=\"" + num(x + 14) + "\" cy=\"" + num(legend_y) + "\" r=\"4\" fill=\"" +
               s.colour + "\"/>\n";
        out += text(x + 34, legend_y + 4, row_label(row), "start", 12);
    }
    out += text(kWidth / 2, footnote_y,
                "A point is missing where that size was not run or a run failed (see the table).",
                "middle", 11, " fill=\"#666666\"");
    out += "</svg>\n";
    return out;
}

} // namespace bench
