// ch03's load mode (load.hpp, ch03::run_load: join_all over 300 HttpGetFutures under one
// block_on) against every mode of common::test::MisbehavingServer, through common's shared checks
// (load_against_misbehaving.hpp). It runs in this process, so their descriptor count sees our
// sockets. The run's deadline here is block_on's epoll_wait timeout.
#include "ch03-leaf-futures/src/load.hpp"

#include <common/load.hpp>
#include <common/test_support/load_against_misbehaving.hpp>
#include <common/test_support/watchdog.hpp>

#include <doctest/doctest.h>

#include <chrono>

namespace {

common::test::LoadOutcome run_ch03(const common::Endpoint& server,
                                   std::chrono::milliseconds deadline) {
    const common::test::Watchdog dog; // block_on's deadline bounds the run; this bounds the test
    common::LoadTally tally;
    const ch03::LoadRun run =
        ch03::run_load(server, common::test::kLoadRequests, 10, deadline, tally);
    // Every request was polled at least once (its first poll connects).
    CHECK(run.polls >= common::test::kLoadRequests);
    return {common::test::kLoadRequests, tally.ok(), tally.failed(), tally.first_failure(),
            static_cast<long>(run.elapsed.count())};
}

} // namespace

ASYNC_LOAD_MISBEHAVING_TESTS("join_all under block_on", run_ch03)
