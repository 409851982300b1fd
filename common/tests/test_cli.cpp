// Tests of common/cli.hpp: the command-line contract every chapter program shares — demo vs load
// mode, defaults, bounds, and that every bad command line becomes one `error:` line and exit 1.
#include "common/cli.hpp"

#include "common/test_support/capture.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <unistd.h>

namespace {

using namespace std::chrono_literals;

const common::ExtraFlag kExtraFlags[] = {
    {"--scale", "divide the demo's delays by N", 1, 1, 100},
    {"--executors", "number of executor threads", 2, 1, 64},
};
const common::ProgramInfo kInfo{"ch99-test", "a program for the tests", kExtraFlags};

// argv for parse_options/run_program: the program name, then `args`.
class Argv {
public:
    Argv(std::initializer_list<const char*> args) {
        pointers_.push_back("ch99-test");
        pointers_.insert(pointers_.end(), args.begin(), args.end());
    }
    int argc() const { return static_cast<int>(pointers_.size()); }
    const char* const* argv() const { return pointers_.data(); }

private:
    std::vector<const char*> pointers_;
};

common::Options parse(std::initializer_list<const char*> args) {
    const Argv a(args);
    return common::parse_options(a.argc(), a.argv(), kInfo);
}

// The UsageError message `args` produce, or "" when they parse (the CHECKs then fail).
std::string usage_error(std::initializer_list<const char*> args) {
    try {
        parse(args);
    } catch (const common::UsageError& e) {
        return e.what();
    }
    return "";
}

bool starts_with(const std::string& text, std::string_view prefix) {
    return text.compare(0, prefix.size(), prefix) == 0;
}

struct RunResult {
    int status;
    std::string out;
    std::string err;
};

// Runs run_program with stdout and stderr captured at the descriptor level (the error line goes
// out through stdio, not std::cerr, so swapping rdbuf would not see it).
RunResult run(std::initializer_list<const char*> args,
              const std::function<int(const common::Options&)>& body) {
    const Argv a(args);
    common::test::CapturedOutput out(STDOUT_FILENO);
    common::test::CapturedOutput err(STDERR_FILENO);
    const int status = common::run_program(a.argc(), a.argv(), kInfo, body);
    // Restore in the opposite order of capture, so each descriptor gets its own original back.
    std::string err_text = err.finish();
    std::string out_text = out.finish();
    return {status, std::move(out_text), std::move(err_text)};
}

} // namespace

TEST_CASE("no arguments means the demo, with every default in place") {
    const auto o = parse({});
    CHECK_FALSE(o.load);
    CHECK_FALSE(o.help);
    CHECK_FALSE(o.server.has_value());
    CHECK_FALSE(o.timeout_ms.has_value());
    CHECK(o.requests == 100);
    CHECK(o.delay_ms == 1000);
    CHECK(o.extra_value("--scale") == 1);
    CHECK(o.extra_value("--executors") == 2);
}

TEST_CASE("--requests alone selects load mode with the default delay of 1000 ms") {
    const auto o = parse({"--requests", "250"});
    CHECK(o.load);
    CHECK(o.requests == 250);
    CHECK(o.delay_ms == 1000);
}

TEST_CASE("--delay-ms alone selects load mode with the default of 100 requests") {
    const auto o = parse({"--delay-ms", "20"});
    CHECK(o.load);
    CHECK(o.requests == 100);
    CHECK(o.delay_ms == 20);
    CHECK(parse({"--delay-ms", "0"}).delay_ms == 0); // no delay is a valid delay
}

TEST_CASE("--requests and --delay-ms together, in either order and in --flag=value form") {
    const auto a = parse({"--requests", "3", "--delay-ms", "10"});
    const auto b = parse({"--delay-ms=10", "--requests=3"});
    for (const auto* o : {&a, &b}) {
        CHECK(o->load);
        CHECK(o->requests == 3);
        CHECK(o->delay_ms == 10);
    }
}

TEST_CASE("--server parses HOST:PORT and does not by itself select load mode") {
    const auto o = parse({"--server", "127.0.0.1:8080"});
    REQUIRE(o.server.has_value());
    CHECK(o.server->host == "127.0.0.1");
    CHECK(o.server->port == 8080);
    CHECK_FALSE(o.load);
    CHECK(parse({"--server", "localhost:65535"}).server->port == 65535);
}

TEST_CASE("--timeout-ms is parsed and overrides the default deadline") {
    const auto o = parse({"--timeout-ms", "500"});
    REQUIRE(o.timeout_ms.has_value());
    CHECK(*o.timeout_ms == 500);
    CHECK(o.deadline(1000) == 500ms);
    CHECK(o.deadline(100'000) == 500ms);
}

TEST_CASE("the default deadline is the longest delay plus 30 seconds") {
    const auto o = parse({});
    CHECK(o.deadline(1000) == 31'000ms);
    CHECK(o.deadline(0) == 30'000ms);
    CHECK(o.deadline(60'000) == 90'000ms);
}

TEST_CASE("--help is recognised") {
    CHECK(parse({"--help"}).help);
}

TEST_CASE("a chapter's extra flags take their defaults, given values and bounds") {
    const auto o = parse({"--scale", "10"});
    CHECK(o.extra_value("--scale") == 10);
    CHECK(o.extra_value("--executors") == 2);
    CHECK(parse({"--scale", "1"}).extra_value("--scale") == 1);
    CHECK(parse({"--scale", "100"}).extra_value("--scale") == 100);
    CHECK(starts_with(usage_error({"--scale", "0"}), "--scale"));
    CHECK(starts_with(usage_error({"--scale", "101"}), "--scale"));
    CHECK(starts_with(usage_error({"--executors", "65"}), "--executors"));
    CHECK_THROWS_AS(o.extra_value("--no-such-flag"), std::out_of_range);
}

TEST_CASE("an unknown flag or a stray argument is a usage error naming it") {
    CHECK(usage_error({"--bogus"}).find("--bogus") != std::string::npos);
    CHECK(usage_error({"stray"}).find("stray") != std::string::npos);
    CHECK(usage_error({"--requests", "3", "-x"}).find("-x") != std::string::npos);
}

TEST_CASE("a flag without its value is a usage error") {
    for (const char* flag : {"--requests", "--delay-ms", "--server", "--timeout-ms", "--scale"}) {
        CAPTURE(flag);
        const std::string message = usage_error({flag});
        CHECK(starts_with(message, flag));
        CHECK(message.find("missing") != std::string::npos);
    }
}

TEST_CASE("bad numbers are usage errors naming the flag") {
    const std::initializer_list<const char*> bad_cases[] = {
        {"--requests", "abc"},
        {"--requests", "-5"},
        {"--requests", "0"}, // zero requests is not a load run
        {"--requests", "12x"},
        {"--requests", " 12"},
        {"--requests", "1.5"},
        {"--requests", ""},
        {"--requests", "99999999999999999999999999"}, // overflows long
        {"--delay-ms", "-1"},
        {"--delay-ms", "1e3"},
        {"--delay-ms", "99999999999999999999999999"},
        {"--timeout-ms", "0"},
        {"--timeout-ms", "-100"},
        {"--timeout-ms", "soon"},
    };
    for (const auto& args : bad_cases) {
        const std::string flag = *args.begin();
        const std::string value = *(args.begin() + 1);
        CAPTURE(flag);
        CAPTURE(value);
        CHECK(starts_with(usage_error(args), flag));
    }
}

TEST_CASE("a bad --server is a usage error") {
    for (const char* bad : {"localhost", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:70000",
                            "127.0.0.1:", ":8080", "127.0.0.1:80x"}) {
        CAPTURE(bad);
        CHECK(starts_with(usage_error({"--server", bad}), "--server"));
    }
}

TEST_CASE("run_program returns the body's exit status and passes it the parsed options") {
    // The body runs with the output captured: record what it saw and check it afterwards.
    bool called = false;
    common::Options seen;
    const auto r = run({"--requests", "7"}, [&](const common::Options& o) {
        called = true;
        seen = o;
        return 42;
    });
    CHECK(called);
    CHECK(seen.load);
    CHECK(seen.requests == 7);
    CHECK(r.status == 42);
    CHECK(r.err.empty());
    CHECK(run({}, [](const common::Options&) { return 0; }).status == 0);
}

TEST_CASE("run_program turns a bad command line into one `error:` line and status 1") {
    for (const std::initializer_list<const char*> args :
         {std::initializer_list<const char*>{"--bogus"},
          {"--requests", "12x"},
          {"--requests"},
          {"--server", "127.0.0.1:70000"}}) {
        bool called = false;
        const auto r = run(args, [&](const common::Options&) {
            called = true;
            return 0;
        });
        CAPTURE(r.err);
        CHECK(r.status == 1);
        CHECK_FALSE(called); // the body never runs on a bad command line
        CHECK(starts_with(r.err, "error: "));
        CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
        CHECK((!r.err.empty() && r.err.back() == '\n'));
        CHECK(r.out.empty());
    }
}

TEST_CASE("run_program prints the usage for --help and returns 0 without running the body") {
    bool called = false;
    const auto r = run({"--help"}, [&](const common::Options&) {
        called = true;
        return 1;
    });
    CHECK(r.status == 0);
    CHECK_FALSE(called);
    CHECK(r.err.empty());
    CHECK(r.out.find("ch99-test") != std::string::npos);
    CHECK(r.out.find("--requests") != std::string::npos);
    CHECK(r.out.find("--scale") != std::string::npos); // the chapter's own flags are listed
    CHECK(common::usage_text(kInfo) == r.out);
}

TEST_CASE("run_program turns an exception from the body into `error: <what>` and status 1") {
    const auto r = run({}, [](const common::Options&) -> int {
        throw std::runtime_error("connect 127.0.0.1:1: Connection refused");
    });
    CHECK(r.status == 1);
    CHECK(r.err == "error: connect 127.0.0.1:1: Connection refused\n");
    CHECK(r.out.empty());

    const auto unknown = run({}, [](const common::Options&) -> int { throw 42; });
    CHECK(unknown.status == 1);
    CHECK(starts_with(unknown.err, "error: "));
    CHECK(std::count(unknown.err.begin(), unknown.err.end(), '\n') == 1);
}
