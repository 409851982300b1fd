// ch02's load mode (load_client.hpp: one thread, one Poll) at 300 requests against every mode of
// common::test::MisbehavingServer, through common's shared checks (load_against_misbehaving.hpp).
// The run's deadline here is the epoll_wait timeout.
#include "ch02-epoll-reactor/src/load_client.hpp"

#include <common/load.hpp>
#include <common/test_support/load_against_misbehaving.hpp>

#include <doctest/doctest.h>

namespace {

common::test::LoadOutcome run_ch02(const common::Endpoint& server,
                                   std::chrono::milliseconds deadline) {
    common::LoadTally tally;
    const ch02::LoadRun run =
        ch02::run_load_client(server, common::test::kLoadRequests, 10, deadline, tally);
    CHECK(run.polls >= 1); // the waiting happened in epoll_wait
    return {common::test::kLoadRequests, tally.ok(), tally.failed(), tally.first_failure(),
            static_cast<long>(run.elapsed.count())};
}

} // namespace

ASYNC_LOAD_MISBEHAVING_TESTS("one thread, one Poll", run_ch02)
