// Tests of ch05-fibers' load mode (src/load.hpp): 300 request fibers against the delay server, all
// answered, every descriptor closed afterwards; and against every misbehaving server through
// common's shared checks (load_against_misbehaving.hpp).
#include "ch05-coroutines/fibers/src/load.hpp"

#include <common/delay_server.hpp>
#include <common/load.hpp>
#include <common/resources.hpp>
#include <common/test_support/load_against_misbehaving.hpp>
#include <common/test_support/resources.hpp>
#include <common/test_support/watchdog.hpp>

#include <doctest/doctest.h>

#include <chrono>

namespace {

using namespace std::chrono_literals;

constexpr std::size_t kStack = 64 * 1024;

TEST_CASE("load mode: 300 request fibers, every answer checked, every descriptor closed") {
    const common::test::Watchdog dog;
    common::raise_descriptor_limit();
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        const common::DelayServer server;
        common::LoadTally tally;
        const ch05::fibers::LoadRun run =
            ch05::fibers::run_load(server.endpoint(), 300, 200, kStack, 10s, tally);
        INFO("first failure: " << tally.first_failure());
        CHECK(tally.ok() == 300);
        CHECK(tally.failed() == 0);
        CHECK(run.elapsed >= 200ms);
        CHECK(run.elapsed < 5s);
        CHECK(run.threads == 2);
        // At least one page of each stack was touched, and never more than the stack.
        CHECK(run.stack_touched_max >= 4096);
        CHECK(run.stack_touched_max <= kStack);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

common::test::LoadOutcome run_fibers(const common::Endpoint& server,
                                     std::chrono::milliseconds deadline) {
    const common::test::Watchdog dog;
    common::LoadTally tally;
    const ch05::fibers::LoadRun run =
        ch05::fibers::run_load(server, common::test::kLoadRequests, 10, kStack, deadline, tally);
    return {common::test::kLoadRequests, tally.ok(), tally.failed(), tally.first_failure(),
            static_cast<long>(run.elapsed.count())};
}

} // namespace

ASYNC_LOAD_MISBEHAVING_TESTS("fibers", run_fibers)
