// ch01's load mode (load.hpp, ch01::run_load: one thread per request) at 300 requests against
// every mode of common::test::MisbehavingServer, through common's shared checks
// (load_against_misbehaving.hpp). The run's deadline here is each thread's receive timeout.
#include "ch01-threads/src/load.hpp"

#include <common/load.hpp>
#include <common/test_support/load_against_misbehaving.hpp>

#include <doctest/doctest.h>

namespace {

common::test::LoadOutcome run_ch01(const common::Endpoint& server,
                                   std::chrono::milliseconds deadline) {
    ch01::LoadPlan plan;
    plan.server = server;
    plan.requests = common::test::kLoadRequests;
    plan.delay_ms = 10;
    plan.deadline = deadline;
    common::LoadTally tally;
    const common::Summary summary = ch01::run_load(plan, tally); // returns once all are joined
    CHECK_FALSE(common::test::contains(tally.first_failure(), "not started")); // every thread ran
    return {summary.requests, tally.ok(), tally.failed(), tally.first_failure(),
            summary.elapsed_ms};
}

} // namespace

ASYNC_LOAD_MISBEHAVING_TESTS("one thread per request", run_ch01)
