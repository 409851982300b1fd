// Tests of load mode's runner (load.hpp), the program's --requests path as a library call: every
// answer checked over one and several executors, polls per request constant (chapter 3's grew with
// the number of requests), and failures (a silent server, a refused port) counted, not hung on.
#include "ch04-executor/src/load.hpp"

#include "helpers.hpp"

#include <common/delay_server.hpp>
#include <common/load.hpp>
#include <common/test_support/misbehaving_server.hpp>
#include <common/test_support/resources.hpp>

#include <doctest/doctest.h>

namespace {

using namespace ch04;
using namespace ch04::test;

TEST_CASE("load mode answers every request, over one executor and over three") {
    Watchdog dog;
    for (const std::size_t executors : {std::size_t{1}, std::size_t{3}}) {
        CAPTURE(executors);
        const std::size_t baseline = common::test::open_descriptor_count();
        {
            common::DelayServer server;
            common::LoadTally tally;
            const LoadRun run = run_load(server.endpoint(), 150, 100, executors, 20s, tally);
            CHECK(tally.ok() == 150);
            CHECK(tally.failed() == 0);
            CHECK(tally.first_failure().empty());
            CHECK(run.threads == static_cast<int>(executors) + 1);
            CHECK(run.elapsed >= 100ms); // every request waited for its 100 ms delay
            CHECK(run.elapsed < 20s);
        }
        CHECK(common::test::open_descriptor_count() == baseline);
    }
}

TEST_CASE("polls per request stay constant as the number of requests grows") {
    // One poll per executor for the task that spawns the requests, then per request: the first
    // poll (connect, send, register, nothing to read yet) and one or two more when the answer and
    // the close arrive. Chapter 3 polled every pending request on every wake instead, so its
    // count grew with the square of the number of requests.
    Watchdog dog;
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        common::DelayServer server;
        for (const std::size_t requests : {std::size_t{20}, std::size_t{400}}) {
            CAPTURE(requests);
            common::LoadTally tally;
            const LoadRun run = run_load(server.endpoint(), requests, 50, 1, 20s, tally);
            REQUIRE(tally.ok() == requests);
            const std::uint64_t per_request_polls = run.polls - 1; // minus the spawning task
            CHECK(per_request_polls >= 2 * requests);
            CHECK(per_request_polls <= 3 * requests);
        }
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("load mode against a silent server fails every request by the runtime's deadline") {
    Watchdog dog;
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        common::test::MisbehavingServer silent(common::test::Misbehavior::Silent);
        common::LoadTally tally;
        const LoadRun run = run_load(silent.endpoint(), 20, 0, 2, 300ms, tally);
        CHECK(tally.ok() == 0);
        CHECK(tally.failed() == 20);
        CHECK(contains(tally.first_failure(), "timed out"));
        CHECK(run.elapsed >= 300ms);
        CHECK(run.elapsed < 10s);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("load mode against a refused port fails every request with the connect error") {
    Watchdog dog;
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        common::test::RefusedPort refused;
        common::LoadTally tally;
        run_load(refused.endpoint(), 10, 0, 2, 5s, tally);
        CHECK(tally.ok() == 0);
        CHECK(tally.failed() == 10);
        CHECK(contains(tally.first_failure(), "refused"));
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

} // namespace
