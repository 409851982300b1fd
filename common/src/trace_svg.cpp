// Implementation of common/trace_svg.hpp. Reads the events it knows (spans 'X', instants 'i',
// arrows 's'/'f', thread names 'M') and ignores the rest, so it also draws traces that other
// tools wrote in the same format, as long as their spans are complete events.
#include "common/trace_svg.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <stdexcept>
#include <vector>

namespace common::trace {
namespace {

struct Span {
    int tid;
    double ts; // microseconds
    double dur;
    std::string name;
    std::string category;
    std::string result; // a poll's "ready" / "not ready"
    int depth = 0;      // nesting on its thread: 0 outermost
};

struct Point {
    int tid;
    double ts;
    std::string name;
    std::string category;
};

struct Arrow {
    std::optional<Point> from; // the wake ('s')
    std::optional<Point> to;   // the poll it caused ('f')
};

std::string escape(std::string_view text) {
    std::string out;
    for (const char c : text) {
        switch (c) {
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '&':
            out += "&amp;";
            break;
        case '"':
            out += "&quot;";
            break;
        default:
            out += c;
        }
    }
    return out;
}

std::string fixed(double value) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.1f", value);
    return buffer;
}

std::string duration_text(double micros) {
    char buffer[32];
    if (micros == 0) {
        return "0";
    }
    if (micros >= 1000) {
        std::snprintf(buffer, sizeof buffer, "%.1f ms", micros / 1000);
    } else {
        std::snprintf(buffer, sizeof buffer, "%.0f us", micros);
    }
    return buffer;
}

// A round step for the time axis: 1, 2 or 5 times a power of ten, about `span / 8`.
double tick_step(double span) {
    const double raw = span / 8;
    const double power = std::pow(10.0, std::floor(std::log10(raw)));
    for (const double m : {1.0, 2.0, 5.0, 10.0}) {
        if (m * power >= raw) {
            return m * power;
        }
    }
    return 10 * power;
}

// The colour of a span, by what it is.
const char* fill_of(const Span& s) {
    if (s.category == "poll") {
        return s.result == "ready" ? "#2e7d32" : "#ef8c00";
    }
    if (s.name.starts_with("resume")) {
        return "#1565c0";
    }
    return "#90a4ae";
}

} // namespace

std::string render_svg(const json::Value& trace, const SvgOptions& options) {
    const json::Value* events = trace.find("traceEvents");
    if (events == nullptr || events->kind != json::Value::Kind::Array) {
        throw std::runtime_error("not a trace: no traceEvents array");
    }

    std::map<int, std::string> threads;
    std::string process;
    std::vector<Span> spans;
    std::vector<Point> points;
    std::vector<Point> marks;
    std::map<long long, Arrow> arrows;
    for (const json::Value& e : events->array) {
        const std::string& ph = e.str("ph");
        const int tid = static_cast<int>(e.num("tid"));
        const json::Value* name_value = e.find("name");
        const std::string name = name_value ? name_value->string : std::string();
        const json::Value* cat_value = e.find("cat");
        const std::string category = cat_value ? cat_value->string : std::string();
        const json::Value* args = e.find("args");
        if (ph == "M") {
            const std::string label = args ? args->str("name") : std::string();
            if (name == "thread_name") {
                threads[tid] = label;
            } else if (name == "process_name") {
                process = label;
            }
            continue;
        }
        const double ts = e.num("ts");
        if (ph == "X") {
            const json::Value* result = args ? args->find("result") : nullptr;
            spans.push_back(Span{tid, ts, e.num("dur"), name, category,
                                 result ? result->string : std::string()});
        } else if (ph == "i" || ph == "I") {
            (category == "mark" ? marks : points).push_back(Point{tid, ts, name, category});
        } else if (ph == "s" || ph == "f") {
            Arrow& arrow = arrows[static_cast<long long>(e.num("id"))];
            (ph == "s" ? arrow.from : arrow.to) = Point{tid, ts, name, category};
        }
    }

    // The window: the whole run, or one part of it between two marks.
    double t0 = 0;
    double t1 = 0;
    bool first = true;
    const auto widen = [&](double from, double to) {
        t0 = first ? from : std::min(t0, from);
        t1 = first ? to : std::max(t1, to);
        first = false;
    };
    for (const Span& s : spans) {
        widen(s.ts, s.ts + s.dur);
    }
    for (const Point& p : points) {
        widen(p.ts, p.ts);
    }
    std::sort(marks.begin(), marks.end(),
              [](const Point& a, const Point& b) { return a.ts < b.ts; });
    if (!options.part.empty()) {
        const auto it = std::find_if(marks.begin(), marks.end(), [&](const Point& m) {
            return m.name.find(options.part) != std::string::npos;
        });
        if (it == marks.end()) {
            throw std::runtime_error("--part: no mark named '" + options.part + "' in the trace");
        }
        t0 = it->ts;
        if (std::next(it) != marks.end()) {
            t1 = std::next(it)->ts;
        }
    }
    if (t1 <= t0) {
        t1 = t0 + 1000;
    }
    const auto visible = [&](double from, double to) { return to >= t0 && from <= t1; };

    // Depth of each span on its thread: complete events on one thread nest properly.
    std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) {
        return a.tid != b.tid ? a.tid < b.tid : a.ts != b.ts ? a.ts < b.ts : a.dur > b.dur;
    });
    {
        std::vector<double> open_ends;
        int tid = -1;
        for (Span& s : spans) {
            if (s.tid != tid) {
                open_ends.clear();
                tid = s.tid;
            }
            while (!open_ends.empty() && open_ends.back() <= s.ts) {
                open_ends.pop_back();
            }
            s.depth = static_cast<int>(open_ends.size());
            open_ends.push_back(s.ts + s.dur);
        }
    }

    // One lane per thread that did something in the window, in the order the threads appeared.
    std::map<int, int> lane_of;
    {
        std::vector<int> tids;
        for (const auto& thread : threads) {
            const int tid = thread.first; // a plain variable: clang 14 cannot capture a binding
            const bool active = std::any_of(spans.begin(), spans.end(),
                                            [&](const Span& s) {
                                                return s.tid == tid && visible(s.ts, s.ts + s.dur);
                                            }) ||
                                std::any_of(points.begin(), points.end(), [&](const Point& p) {
                                    return p.tid == tid && visible(p.ts, p.ts);
                                });
            if (active) {
                tids.push_back(tid);
            }
        }
        for (std::size_t i = 0; i < tids.size(); ++i) {
            lane_of[tids[i]] = static_cast<int>(i);
        }
    }

    const double left = 110;
    const double right = 20;
    const double top = options.caption.empty() ? 50 : 68;
    const double lane_height = 48;
    const double width = options.width;
    const double plot = width - left - right;
    const double lanes_bottom = top + lane_height * static_cast<double>(lane_of.size());
    const double height = lanes_bottom + 110;
    const auto x_of = [&](double ts) {
        return left + (std::clamp(ts, t0, t1) - t0) / (t1 - t0) * plot;
    };
    const auto lane_top = [&](int tid) { return top + lane_height * lane_of.at(tid); };

    std::string out;
    out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    out += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + fixed(width) + "\" height=\"" +
           fixed(height) + "\" viewBox=\"0 0 " + fixed(width) + " " + fixed(height) +
           "\" font-family=\"sans-serif\" font-size=\"12\">\n";
    out += "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" "
           "markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\">"
           "<path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#6a1b9a\"/></marker></defs>\n";
    out += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n";
    std::string title = process.empty() ? "trace" : process;
    if (!options.part.empty()) {
        title += ": " + options.part;
    }
    out += "<text x=\"10\" y=\"22\" font-size=\"15\" font-weight=\"bold\">" + escape(title) +
           "</text>\n";
    if (!options.caption.empty()) {
        out += "<text x=\"10\" y=\"42\" fill=\"#455a64\">" + escape(options.caption) + "</text>\n";
    }

    // Lanes, named after their threads.
    for (const auto& [tid, lane] : lane_of) {
        const double y = top + lane_height * lane;
        out += "<rect x=\"" + fixed(left) + "\" y=\"" + fixed(y) + "\" width=\"" + fixed(plot) +
               "\" height=\"" + fixed(lane_height - 4) + "\" fill=\"" +
               (lane % 2 == 0 ? "#fafafa" : "#f2f2f2") + "\"/>\n";
        out += "<text x=\"" + fixed(left - 8) + "\" y=\"" + fixed(y + lane_height / 2) +
               "\" text-anchor=\"end\">" + escape(threads[tid]) + "</text>\n";
    }

    // The time axis, in milliseconds from the start of the window.
    const double step = tick_step(t1 - t0);
    for (double t = 0; t0 + t <= t1 + 1e-9; t += step) {
        const double x = x_of(t0 + t);
        out += "<line x1=\"" + fixed(x) + "\" y1=\"" + fixed(top - 6) + "\" x2=\"" + fixed(x) +
               "\" y2=\"" + fixed(lanes_bottom) + "\" stroke=\"#e0e0e0\"/>\n";
        out += "<text x=\"" + fixed(x) + "\" y=\"" + fixed(top - 9) +
               "\" text-anchor=\"middle\" fill=\"#757575\" font-size=\"10\">" + duration_text(t) +
               "</text>\n";
    }

    // Spans: waits first (shaded, full height), then the rest by depth, outermost first.
    for (int pass = 0; pass < 2; ++pass) {
        for (const Span& s : spans) {
            const bool wait = s.category == "wait";
            if (wait != (pass == 0) || !lane_of.contains(s.tid) || !visible(s.ts, s.ts + s.dur)) {
                continue;
            }
            const double x = x_of(s.ts);
            const double w = std::max(x_of(s.ts + s.dur) - x, wait ? 1.0 : 3.0);
            // Waits fill the lane; coroutine resumptions run inside a poll, so they get a thin
            // band of their own under it; polls and other spans nest, each a little inside the
            // one around it.
            const bool resume = s.name.starts_with("resume");
            const double inset = 3.0 * std::min(s.depth, 3);
            const double y = lane_top(s.tid) + (wait ? 0 : resume ? 33 : 10 + inset);
            const double h = wait ? lane_height - 4 : resume ? 5 : 20 - 2 * inset;
            out += "<rect x=\"" + fixed(x) + "\" y=\"" + fixed(y) + "\" width=\"" + fixed(w) +
                   "\" height=\"" + fixed(std::max(h, 4.0)) + "\" fill=\"" +
                   (wait ? "#cfd8dc" : fill_of(s)) + "\"" +
                   (wait ? "" : " stroke=\"#ffffff\" stroke-width=\"0.5\"") + "><title>" +
                   escape(s.name) + " (" + duration_text(s.dur) + ")</title></rect>\n";
        }
    }

    // Instants: wakes as purple ticks at the top of the lane, other events as grey dots.
    for (const Point& p : points) {
        if (!lane_of.contains(p.tid) || !visible(p.ts, p.ts)) {
            continue;
        }
        const double x = x_of(p.ts);
        const double y = lane_top(p.tid);
        if (p.category == "wake") {
            out += "<path d=\"M " + fixed(x - 4) + " " + fixed(y + 1) + " L " + fixed(x + 4) + " " +
                   fixed(y + 1) + " L " + fixed(x) + " " + fixed(y + 8) +
                   " z\" fill=\"#6a1b9a\"><title>" + escape(p.name) + "</title></path>\n";
        } else {
            out += "<circle cx=\"" + fixed(x) + "\" cy=\"" + fixed(y + lane_height - 7) +
                   "\" r=\"2.5\" fill=\"#424242\"><title>" + escape(p.name) + "</title></circle>\n";
        }
    }

    // Arrows: from each wake to the poll it caused (both ends must be drawn).
    for (const auto& [id, arrow] : arrows) {
        if (!arrow.from || !arrow.to || !lane_of.contains(arrow.from->tid) ||
            !lane_of.contains(arrow.to->tid) || !visible(arrow.from->ts, arrow.to->ts)) {
            continue;
        }
        const double x1 = x_of(arrow.from->ts);
        const double y1 = lane_top(arrow.from->tid) + 8;
        const double x2 = x_of(arrow.to->ts);
        const double y2 = lane_top(arrow.to->tid) + (arrow.to->tid == arrow.from->tid ? 8 : 6);
        out += "<line x1=\"" + fixed(x1) + "\" y1=\"" + fixed(y1) + "\" x2=\"" + fixed(x2) +
               "\" y2=\"" + fixed(y2) +
               "\" stroke=\"#6a1b9a\" stroke-width=\"1\" stroke-opacity=\"0.7\" "
               "marker-end=\"url(#arrow)\"/>\n";
    }

    // Marks: where a part of the demo begins.
    for (const Point& m : marks) {
        if (!visible(m.ts, m.ts) || m.ts <= t0) {
            continue;
        }
        const double x = x_of(m.ts);
        out += "<line x1=\"" + fixed(x) + "\" y1=\"" + fixed(top) + "\" x2=\"" + fixed(x) +
               "\" y2=\"" + fixed(lanes_bottom) +
               "\" stroke=\"#37474f\" stroke-dasharray=\"4 3\"><title>" + escape(m.name) +
               "</title></line>\n";
    }

    // The legend.
    const double ly = lanes_bottom + 30;
    struct Entry {
        const char* colour;
        const char* text;
    };
    const Entry entries[] = {
        {"#2e7d32", "poll: ready"},
        {"#ef8c00", "poll: not ready"},
        {"#cfd8dc", "asleep in epoll_wait"},
        {"#1565c0", "coroutine resumed"},
        {"#90a4ae", "other span (reactor dispatch)"},
    };
    double lx = left;
    for (const Entry& entry : entries) {
        out += "<rect x=\"" + fixed(lx) + "\" y=\"" + fixed(ly - 10) +
               "\" width=\"14\" height=\"12\" fill=\"" + entry.colour + "\"/>";
        out += "<text x=\"" + fixed(lx + 19) + "\" y=\"" + fixed(ly) + "\">" + entry.text +
               "</text>\n";
        lx += 200;
    }
    const double ly2 = ly + 24;
    out += "<path d=\"M " + fixed(left + 3) + " " + fixed(ly2 - 10) + " L " + fixed(left + 11) +
           " " + fixed(ly2 - 10) + " L " + fixed(left + 7) + " " + fixed(ly2 - 3) +
           " z\" fill=\"#6a1b9a\"/>";
    out += "<line x1=\"" + fixed(left + 14) + "\" y1=\"" + fixed(ly2 - 5) + "\" x2=\"" +
           fixed(left + 40) + "\" y2=\"" + fixed(ly2 - 5) +
           "\" stroke=\"#6a1b9a\" marker-end=\"url(#arrow)\"/>";
    out += "<text x=\"" + fixed(left + 46) + "\" y=\"" + fixed(ly2) +
           "\">a wake, and the poll it causes</text>\n";
    out += "<circle cx=\"" + fixed(left + 307) + "\" cy=\"" + fixed(ly2 - 4) +
           "\" r=\"2.5\" fill=\"#424242\"/><text x=\"" + fixed(left + 319) + "\" y=\"" +
           fixed(ly2) + "\">event (timer armed or fired, socket ready)</text>\n";
    out += "<line x1=\"" + fixed(left + 600) + "\" y1=\"" + fixed(ly2 - 12) + "\" x2=\"" +
           fixed(left + 600) + "\" y2=\"" + fixed(ly2 + 2) +
           "\" stroke=\"#37474f\" stroke-dasharray=\"4 3\"/><text x=\"" + fixed(left + 608) +
           "\" y=\"" + fixed(ly2) + "\">a part of the demo begins</text>\n";
    out += "<text x=\"" + fixed(left) + "\" y=\"" + fixed(ly2 + 26) +
           "\" fill=\"#757575\" font-size=\"10\">Hover a box for its name and duration. Boxes "
           "narrower than three pixels are drawn three pixels wide.</text>\n";
    out += "</svg>\n";
    return out;
}

} // namespace common::trace
