// Tests of ch02-epoll-mio-asio (src/epoll_mio_asio.cpp), book ch. 4's b-epoll-mio on asio, run as a
// child process: the same answers in the same reverse order as ch02's own demo, ending with
// FINISHED; a silent server ends in 'timed out'; load mode is refused. Registered only when asio
// is installed, as the program is.
#include <common/test_support/child_process.hpp>
#include <common/test_support/misbehaving_server.hpp>
#include <common/test_support/resources.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using common::test::contains;

common::test::ChildRun run_program(const std::vector<std::string>& args) {
    return common::test::run_child(CH02_MIO_ASIO_PATH, args, 30s);
}

} // namespace

TEST_CASE("asio (b-epoll-mio): the answers arrive in reverse order, then FINISHED, exit 0") {
    const auto baseline = common::test::open_descriptor_count();
    const common::test::ChildRun run = run_program({"--scale", "20"}); // 250, 200 ... 50 ms
    INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
    CHECK(run.status == 0);
    CHECK(run.err.empty());
    const auto lines = common::test::lines_of(run.out);
    REQUIRE(!lines.empty());
    CHECK(lines.front().starts_with("Using an embedded delay server on 127.0.0.1:"));
    CHECK(lines.back() == "FINISHED");
    std::vector<std::string> bodies;
    std::size_t received = 0;
    for (const auto& line : lines) {
        if (line.starts_with("request-")) {
            bodies.push_back(line);
        }
        if (line.starts_with("RECEIVED: Event { token: ")) {
            ++received;
        }
    }
    CHECK(bodies == std::vector<std::string>{"request-4", "request-3", "request-2", "request-1",
                                             "request-0"});
    CHECK(received >= 5);
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("asio (b-epoll-mio): a server that never answers ends with 'timed out', exit 1") {
    common::test::MisbehavingServer server(common::test::Misbehavior::Silent);
    const common::test::ChildRun run =
        run_program({"--server", server.endpoint().to_string(), "--timeout-ms", "300"});
    INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
    CHECK_FALSE(run.killed);
    CHECK(run.status == 1);
    CHECK_FALSE(contains(run.out, "FINISHED"));
    CHECK(run.err.starts_with("error: poll: no answer for request-0, "));
    CHECK(run.err.ends_with(": timed out\n"));
}

TEST_CASE("asio (b-epoll-mio): load mode is refused with one error line, exit 1") {
    const common::test::ChildRun run = run_program({"--requests", "10"});
    CHECK(run.status == 1);
    CHECK(run.out.empty());
    CHECK(run.err.starts_with("error: --requests/--delay-ms: "));
}
