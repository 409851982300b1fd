// Tests of a build configured with -DASYNC_TRACE=OFF (common/trace.hpp): built in place of the
// recorder's tests, which have nothing to record there. The hooks must stay silent even after a
// start that was refused, and `--trace` must be refused before the run starts, with the one
// `error:` line every bad argument gets, rather than writing an empty trace.
#include "common/trace.hpp"

#include "common/cli.hpp"
#include "common/json.hpp"
#include "common/print.hpp"
#include "common/test_support/capture.hpp"

#include <doctest/doctest.h>

#include <unistd.h>

#include <stdexcept>
#include <string>

namespace {

namespace trace = common::trace;

const common::ProgramInfo kInfo{"ch99-test", "a program for the tests"};

} // namespace

static_assert(!trace::compiled_in, "this file is built only with -DASYNC_TRACE=OFF");

TEST_CASE("compiled out: start is refused and the hooks record nothing") {
    CHECK_THROWS_AS(trace::start(), std::runtime_error);
    CHECK_FALSE(trace::enabled());
    const int queue = 0;
    trace::name_thread("reactor");
    trace::begin_poll(&queue, 1);
    trace::end_poll("task", 1, true);
    trace::wake(&queue, 1);
    trace::instant("timer fired", 2);
    // Nothing but the process's name: no thread was named, no span, instant or arrow recorded.
    const common::json::Value doc = common::json::parse(trace::to_json("test"));
    const common::json::Value* events = doc.find("traceEvents");
    REQUIRE(events != nullptr);
    REQUIRE(events->array.size() == 1);
    CHECK(events->array[0].str("name") == "process_name");
}

TEST_CASE("compiled out: --trace is a usage error and the run never starts") {
    const char* argv[] = {"ch99-test", "--trace", "/tmp/never-written.json"};
    bool ran = false;
    common::test::CapturedOutput out(STDOUT_FILENO);
    common::test::CapturedOutput err(STDERR_FILENO);
    const int status = common::run_program(3, argv, kInfo, [&](const common::Options&) {
        ran = true;
        common::println("summary: done");
        return 0;
    });
    const std::string errors = err.finish();
    CHECK(out.finish().empty());
    CHECK(status == 1);
    CHECK_FALSE(ran);
    CHECK(errors == "error: --trace: this program was built with tracing compiled out (configure "
                    "with -DASYNC_TRACE=ON)\n");
}

TEST_CASE("compiled out: --help says that --trace is not in this build") {
    const std::string help = common::usage_text(kInfo);
    CHECK(help.find("--trace FILE") != std::string::npos);
    CHECK(help.find("(not in this build: configured with -DASYNC_TRACE=OFF)") != std::string::npos);
}
