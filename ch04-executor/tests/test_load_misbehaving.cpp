// ch04's load mode (load.hpp, ch04::run_load) at 300 request tasks, over one executor (load mode's
// default) and over two sharing one Reactor, against every mode of common::test::MisbehavingServer,
// through common's shared checks (load_against_misbehaving.hpp). The run's deadline here is a
// timer of the runtime.
#include "ch04-executor/src/load.hpp"

#include <common/load.hpp>
#include <common/test_support/load_against_misbehaving.hpp>
#include <common/test_support/watchdog.hpp>

#include <doctest/doctest.h>

namespace {

common::test::LoadOutcome run_ch04(const common::Endpoint& server,
                                   std::chrono::milliseconds deadline, std::size_t executors) {
    const common::test::Watchdog dog; // a lost wakeup would hang block_on: make it a failure
    common::LoadTally tally;
    const ch04::LoadRun run =
        ch04::run_load(server, common::test::kLoadRequests, 10, executors, deadline, tally);
    CHECK(run.threads == static_cast<int>(executors) + 1); // the executors and the reactor
    return {common::test::kLoadRequests, tally.ok(), tally.failed(), tally.first_failure(),
            static_cast<long>(run.elapsed.count())};
}

common::test::LoadOutcome one_executor(const common::Endpoint& server,
                                       std::chrono::milliseconds deadline) {
    return run_ch04(server, deadline, 1);
}

common::test::LoadOutcome two_executors(const common::Endpoint& server,
                                        std::chrono::milliseconds deadline) {
    return run_ch04(server, deadline, 2);
}

} // namespace

ASYNC_LOAD_MISBEHAVING_TESTS("one executor", one_executor)
ASYNC_LOAD_MISBEHAVING_TESTS("two executors", two_executors)
