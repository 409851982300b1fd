// ch05's load mode (load.hpp, ch05::run_load) at 300 coroutine tasks, over one executor (load
// mode's default) and over two sharing one Runtime, against every mode of
// common::test::MisbehavingServer, through common's shared checks (load_against_misbehaving.hpp).
// The run's deadline here is with_timeout, a timer of the runtime.
#include "ch05-coroutines/src/load.hpp"

#include <common/load.hpp>
#include <common/test_support/load_against_misbehaving.hpp>
#include <common/test_support/watchdog.hpp>

#include <doctest/doctest.h>

namespace {

common::test::LoadOutcome run_ch05(const common::Endpoint& server,
                                   std::chrono::milliseconds deadline, std::size_t executors) {
    const common::test::Watchdog dog; // a lost wakeup would hang block_on: make it a failure
    common::LoadTally tally;
    const ch05::LoadRun run =
        ch05::run_load(server, common::test::kLoadRequests, 10, executors, deadline, tally);
    CHECK(run.threads == static_cast<int>(executors) + 1); // the executors and the reactor thread
    return {common::test::kLoadRequests, tally.ok(), tally.failed(), tally.first_failure(),
            static_cast<long>(run.elapsed.count())};
}

common::test::LoadOutcome one_executor(const common::Endpoint& server,
                                       std::chrono::milliseconds deadline) {
    return run_ch05(server, deadline, 1);
}

common::test::LoadOutcome two_executors(const common::Endpoint& server,
                                        std::chrono::milliseconds deadline) {
    return run_ch05(server, deadline, 2);
}

} // namespace

ASYNC_LOAD_MISBEHAVING_TESTS("one executor", one_executor)
ASYNC_LOAD_MISBEHAVING_TESTS("two executors", two_executors)
