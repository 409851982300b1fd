// ch04's load mode on the UringReactor (run_load with ReactorKind::Uring), at 300 request tasks
// over one and two executors, against every mode of common::test::MisbehavingServer through
// common's shared checks — the same checks the epoll reactor passes (test_load_misbehaving.cpp).
// Where io_uring is unavailable each case reports itself skipped, with the kernel's reason.
#include "ch04-executor/src/load.hpp"

#include "ch02-epoll-reactor/tests/ring_support.hpp"

#include <common/load.hpp>
#include <common/test_support/load_against_misbehaving.hpp>
#include <common/test_support/watchdog.hpp>

#include <doctest/doctest.h>

namespace {

common::test::LoadOutcome run_uring(const common::Endpoint& server,
                                    std::chrono::milliseconds deadline, std::size_t executors) {
    const common::test::Watchdog dog; // a lost wakeup would hang block_on: make it a failure
    common::LoadTally tally;
    const ch04::LoadRun run = ch04::run_load(server, common::test::kLoadRequests, 10, executors,
                                             deadline, tally, ch02::ReactorKind::Uring);
    CHECK(run.threads == static_cast<int>(executors) + 1); // the executors and the reactor
    CHECK(run.syscalls > 0);
    return {common::test::kLoadRequests, tally.ok(), tally.failed(), tally.first_failure(),
            static_cast<long>(run.elapsed.count())};
}

// The shared checks need the ring; without it, the case says so and checks nothing else.
template <std::size_t Executors>
common::test::LoadOutcome uring(const common::Endpoint& server,
                                std::chrono::milliseconds deadline) {
    return run_uring(server, deadline, Executors);
}

} // namespace

#define URING_LOAD_CASE(mode)                                                                      \
    TEST_CASE("uring load: " #mode ", one and two executors") {                                    \
        if (ch02::test::skip_without_ring(ch02::test::Needs::Multishot)) {                         \
            return;                                                                                \
        }                                                                                          \
        common::test::check_load_against(common::test::Misbehavior::mode, uring<1>);               \
        common::test::check_load_against(common::test::Misbehavior::mode, uring<2>);               \
    }

URING_LOAD_CASE(Silent)
URING_LOAD_CASE(LongerBodyPromised)
URING_LOAD_CASE(CloseBeforeAnswer)
URING_LOAD_CASE(CloseMidBody)
URING_LOAD_CASE(Garbage)
URING_LOAD_CASE(Trickle)
URING_LOAD_CASE(Reset)
