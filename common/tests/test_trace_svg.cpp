// Tests of common/trace_svg.hpp (tracesvg): the SVG is well-formed XML, has a lane named after
// every thread, draws polls in the colour of their result and an arrow per wake, and draws one
// part of a run alone when asked.
#include "common/trace_svg.hpp"

#include "common/json.hpp"
#include "common/test_support/trace_check.hpp"
#include "common/trace.hpp"

#include <doctest/doctest.h>

#include <string>
#include <thread>

namespace {

namespace trace = common::trace;

// A small run: a reactor thread sleeps, wakes task 1, and "main" polls it twice.
std::string small_run() {
    trace::start();
    const int queue = 0;
    trace::begin_poll(&queue, 1);
    trace::end_poll("task", 1, false);
    std::thread reactor([&] {
        trace::name_thread("reactor <&>");
        trace::begin();
        trace::end_wait(1);
        trace::wake(&queue, 1);
    });
    reactor.join();
    trace::mark("Part 2");
    trace::begin_poll(&queue, 1);
    trace::end_poll("task", 1, true);
    trace::stop();
    return trace::to_json("ch99-test");
}

std::size_t count(const std::string& text, const std::string& part) {
    std::size_t n = 0;
    for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) {
        ++n;
    }
    return n;
}

} // namespace

TEST_CASE("the timeline is well-formed XML with a lane named after every thread") {
    const std::string svg = trace::render_svg(common::json::parse(small_run()), {});
    const auto problems = common::test::xml_problems(svg);
    CHECK(problems.empty());
    for (const std::string& p : problems) {
        MESSAGE(p);
    }
    CHECK(svg.find(">main</text>") != std::string::npos);
    CHECK(svg.find(">reactor &lt;&amp;&gt;</text>") != std::string::npos); // escaped, not raw
    CHECK(count(svg, "fill=\"#ef8c00\"") == 2); // one not-ready poll, and its legend entry
    CHECK(count(svg, "fill=\"#2e7d32\"") == 2); // one ready poll, and its legend entry
    CHECK(count(svg, "<title>epoll_wait: 1 events") == 1);
    CHECK(count(svg, "marker-end=\"url(#arrow)\"") == 2); // the wake's arrow, and the legend's
}

TEST_CASE("the xml check finds a tag closed out of order, an unquoted value and a stray '&'") {
    CHECK(common::test::xml_problems("<a><b></a></b>").size() >= 1);
    CHECK(common::test::xml_problems("<a x=1></a>").size() == 1);
    CHECK(common::test::xml_problems("<a>fish & chips</a>").size() == 1);
    CHECK(common::test::xml_problems("<a/><b/>").size() == 1);
}

TEST_CASE("--part draws only what happened from its mark on") {
    common::trace::SvgOptions options;
    options.part = "Part 2";
    const std::string svg = trace::render_svg(common::json::parse(small_run()), options);
    CHECK(common::test::xml_problems(svg).empty());
    CHECK(count(svg, "<title>poll task 1: ready") == 1);
    CHECK(count(svg, "<title>poll task 1: not ready") == 0); // before the mark
    options.part = "Part 9";
    CHECK_THROWS_WITH(trace::render_svg(common::json::parse(small_run()), options),
                      "--part: no mark named 'Part 9' in the trace");
}

TEST_CASE("a document that is not a trace is refused") {
    CHECK_THROWS_WITH(trace::render_svg(common::json::parse("{\"events\":[]}"), {}),
                      "not a trace: no traceEvents array");
}
