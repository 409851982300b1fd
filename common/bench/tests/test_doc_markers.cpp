// Tests of the README marker rewriter (doc_markers.hpp) and of --update-docs / --check-docs on a
// small repository in a scratch directory (docs.hpp): a wrong figure is rewritten and reported,
// an unknown key fails, and nothing outside the markers changes.
#include "doc_markers.hpp"
#include "docs.hpp"
#include "results_file.hpp"
#include "tables.hpp"

#include "sample_results.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>

namespace {

bench::RewriteResult rewrite(std::string_view document) {
    return bench::rewrite_markers(document, bench_test::sample_results());
}

std::string read(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void write(const std::filesystem::path& p, std::string_view text) {
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << text;
}

// A scratch directory, removed at the end of the test.
struct ScratchDir {
    std::filesystem::path path;
    ScratchDir() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "bench-docs-XXXXXX").string();
        REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
        path = tmpl;
    }
    ~ScratchDir() { std::filesystem::remove_all(path); }
};

} // namespace

TEST_CASE("markers: a wrong figure is rewritten and reported with what was expected") {
    const auto r = rewrite("ch02 took <!-- bench:ch02/10000/elapsed -->1,463 ms<!-- /bench --> "
                           "at 10,000.\n");
    CHECK(r.text == "ch02 took <!-- bench:ch02/10000/elapsed -->1,337 ms<!-- /bench --> at "
                    "10,000.\n");
    CHECK(r.regions == 1);
    CHECK(r.errors.empty());
    REQUIRE(r.differences.size() == 1);
    CHECK(r.differences[0].line == 1);
    CHECK(r.differences[0].marker == "<!-- bench:ch02/10000/elapsed -->");
    CHECK(r.differences[0].expected == "1,337 ms");
    CHECK(r.differences[0].found == "1,463 ms");
}

TEST_CASE("markers: a document already in step is left byte for byte, with no difference") {
    const std::string doc = "# Title\r\n\n| a | <!-- bench:ch03/10000/polls -->306,728<!-- /bench "
                            "--> | <!-- bench:ch03/10000/wakes -->96<!-- /bench --> |\n"
                            "no newline at the end";
    const auto r = rewrite(doc);
    CHECK(r.text == doc);
    CHECK(r.regions == 2);
    CHECK(r.differences.empty());
    CHECK(r.errors.empty());
}

TEST_CASE("markers: text outside the markers is untouched when regions change") {
    const std::string before = "  Intro, with `code` and <!-- other comment --> kept.\n"
                               "<!-- bench:table:summary -->\nold table\n<!-- /bench -->\n"
                               "After: <!-- bench:server/10000/rss -->x<!-- /bench -->, the end.";
    const auto r = rewrite(before);
    CHECK(r.errors.empty());
    CHECK(r.differences.size() == 2);
    const std::string summary = bench::render_block(bench_test::sample_results(), "summary").text;
    CHECK(r.text == "  Intro, with `code` and <!-- other comment --> kept.\n"
                    "<!-- bench:table:summary -->\n" +
                        summary +
                        "\n<!-- /bench -->\n"
                        "After: <!-- bench:server/10000/rss -->4.8 MiB<!-- /bench -->, the end.");
    // Rewriting the result again changes nothing.
    const auto again = rewrite(r.text);
    CHECK(again.text == r.text);
    CHECK(again.differences.empty());
}

TEST_CASE("markers: a block reports its first differing line") {
    const auto r = rewrite("<!-- bench:table:check -->\n```text\nstale\n```\n<!-- /bench -->\n");
    REQUIRE(r.differences.size() == 1);
    CHECK(r.differences[0].line == 3);
    CHECK(r.differences[0].marker == "<!-- bench:table:check -->");
    CHECK(r.differences[0].found == "stale");
    CHECK(r.differences[0].expected == "check: the targets at 10,000 requests x 1000 ms");
}

TEST_CASE("markers: an unknown key fails and its region is left as it was") {
    const std::string doc = "a <!-- bench:ch02/10000/speed -->fast<!-- /bench --> b\n"
                            "<!-- bench:ch09/100/elapsed -->1 ms<!-- /bench -->\n"
                            "<!-- bench:table:everything -->\nkept\n<!-- /bench -->\n";
    const auto r = rewrite(doc);
    CHECK(r.text == doc);
    REQUIRE(r.errors.size() == 3);
    CHECK(r.errors[0].line == 1);
    CHECK(r.errors[0].message.rfind("unknown field 'speed'", 0) == 0);
    CHECK(r.errors[1].line == 2);
    CHECK(r.errors[1].message == "the results file has no ch09 at 100 requests");
    CHECK(r.errors[2].line == 3);
    CHECK(r.errors[2].message == "unknown table 'everything' (summary, full, check, run)");
}

TEST_CASE("markers: unclosed and stray markers are errors") {
    CHECK(rewrite("<!-- bench:ch02/100/elapsed -->1 ms\n").errors.size() == 1);
    CHECK(rewrite("<!-- bench:ch02/100/elapsed 1 ms\n").errors.size() == 1);
    CHECK(rewrite("text <!-- /bench --> text\n").errors.size() == 1);
    CHECK(rewrite("<!-- /bench -->\n").errors.size() == 1);
    CHECK(rewrite("<!-- bench:table:full -->\nno end\n").errors.size() == 1);
    CHECK(rewrite("inline <!-- bench:table:full --> table <!-- /bench -->\n").errors.size() >= 1);
}

TEST_CASE("markers: inside code fences and code spans they are text, so a README can show them") {
    const std::string doc = "Write `<!-- bench:ch02/10000/elapsed -->1 ms<!-- /bench -->`.\n"
                            "```markdown\n<!-- bench:table:full -->\n<!-- bench:x/1/y -->\n"
                            "<!-- /bench -->\n```\n";
    const auto r = rewrite(doc);
    CHECK(r.text == doc);
    CHECK(r.regions == 0);
    CHECK(r.errors.empty());
}

TEST_CASE("docs: --check-docs fails on a README out of step, --update-docs fixes it") {
    ScratchDir dir;
    const auto results = dir.path / "common" / "bench" / "results.txt";
    write(results, bench_test::kSampleResults);
    const std::string stale = "ch02: <!-- bench:ch02/10000/elapsed -->1,463 ms<!-- /bench -->\n";
    write(dir.path / "README.md", stale);
    write(dir.path / "ch02" / "README.md", "no markers\n");
    write(dir.path / "build" / "copy.md", stale); // build trees are not the repository's pages

    CHECK(bench::docs_command(bench::DocsMode::check, dir.path.string(), results.string()) == 1);
    CHECK(read(dir.path / "README.md") == stale); // checking writes nothing

    CHECK(bench::docs_command(bench::DocsMode::update, dir.path.string(), results.string()) == 0);
    CHECK(read(dir.path / "README.md") ==
          "ch02: <!-- bench:ch02/10000/elapsed -->1,337 ms<!-- /bench -->\n");
    CHECK(read(dir.path / "build" / "copy.md") == stale);
    CHECK(std::filesystem::exists(dir.path / "common" / "bench" / "results.svg"));
    CHECK(bench::docs_command(bench::DocsMode::check, dir.path.string(), results.string()) == 0);
}

TEST_CASE("docs: --update-docs writes nothing when a marker is wrong") {
    ScratchDir dir;
    const auto results = dir.path / "results.txt";
    write(results, bench_test::kSampleResults);
    const std::string doc = "<!-- bench:ch02/10000/elapsed -->1 ms<!-- /bench -->\n"
                            "<!-- bench:ch02/10000/nonsense -->1<!-- /bench -->\n";
    write(dir.path / "README.md", doc);
    CHECK(bench::docs_command(bench::DocsMode::update, dir.path.string(), results.string()) == 1);
    CHECK(read(dir.path / "README.md") == doc);
    CHECK(bench::docs_command(bench::DocsMode::check, dir.path.string(), results.string()) == 1);
}
