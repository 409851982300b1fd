// Tests of the Parker and the ReadyQueue (parker.hpp, waker.hpp): the bottom of the runtime, where
// a lost wakeup would be born. An unpark before the park must not be lost — shown once
// deterministically and then stressed with two threads for thousands of rounds.
#include "ch04-executor/src/parker.hpp"
#include "ch04-executor/src/waker.hpp"

#include "helpers.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

namespace {

using namespace ch04;
using namespace ch04::test;

TEST_CASE("an unpark before the park is remembered, so the park returns at once") {
    Watchdog dog(5s); // a lost token would hang the park below: the watchdog fails the test then
    Parker parker;
    parker.unpark(); // the wake comes first ...
    const auto start = Clock::now();
    parker.park(); // ... and the park that follows must not wait for another one
    CHECK(Clock::now() - start < 5s);
}

TEST_CASE("a wake before park is never lost: thousands of ping-pong rounds between two threads") {
    // Each round: thread B unparks A, then parks until A unparks it back. Which of each pair of
    // unpark/park comes first is left to the scheduler, so both orders occur many times. A lost
    // token leaves one side parked for ever; the watchdog turns that into a failure.
    Watchdog dog;
    constexpr int kRounds = 20000;
    Parker a;
    Parker b;
    std::atomic<int> b_rounds{0};
    std::thread other([&] {
        for (int i = 0; i < kRounds; ++i) {
            a.unpark();
            b.park();
            b_rounds.fetch_add(1, std::memory_order_relaxed);
        }
    });
    for (int i = 0; i < kRounds; ++i) {
        a.park();
        b.unpark();
    }
    other.join();
    CHECK(b_rounds.load() == kRounds);
}

TEST_CASE("a push from another thread wakes the executor parked on its ready queue") {
    Watchdog dog;
    constexpr int kRounds = 5000;
    auto queue = std::make_shared<ReadyQueue>();
    auto echo = std::make_shared<ReadyQueue>(); // the other direction, so each round waits
    std::thread other([&] {
        for (int i = 0; i < kRounds; ++i) {
            queue->push(static_cast<TaskId>(i));
            const std::vector<TaskId> ids = wait_for_ids(*echo);
            CHECK(ids.size() == 1);
        }
    });
    std::vector<TaskId> seen;
    for (int i = 0; i < kRounds; ++i) {
        const std::vector<TaskId> ids = wait_for_ids(*queue);
        seen.insert(seen.end(), ids.begin(), ids.end());
        echo->push(static_cast<TaskId>(i));
    }
    other.join();
    REQUIRE(seen.size() == kRounds);
    for (int i = 0; i < kRounds; ++i) {
        CHECK(seen[static_cast<std::size_t>(i)] == static_cast<TaskId>(i));
    }
}

TEST_CASE("take_all empties the ready queue and keeps the order of the pushes") {
    ReadyQueue queue;
    CHECK(queue.empty());
    queue.push(3);
    queue.push(1);
    queue.push(3); // a task woken twice is queued twice; the executor tolerates that
    CHECK_FALSE(queue.empty());
    std::vector<TaskId> ids{99};
    queue.take_all(ids);
    CHECK(ids == std::vector<TaskId>{3, 1, 3});
    CHECK(queue.empty());
    queue.take_all(ids);
    CHECK(ids.empty());
}

} // namespace
