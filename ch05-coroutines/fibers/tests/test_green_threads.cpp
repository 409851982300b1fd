// Tests of the book's runtime on our fibers (src/green_threads.hpp, book ch. 5 c-fibers and
// d-fibers-closure): round-robin order, nested spawns, ten thousand threads alive at once, and an
// exception leaving a thread.
#include "ch05-coroutines/fibers/src/green_threads.hpp"
#include "ch05-coroutines/fibers/src/sanitizers.hpp"

#include <common/test_support/counted.hpp>
#include <common/test_support/watchdog.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using namespace ch05::fibers;

TEST_CASE("the book's two counting threads take turns in round-robin order") {
    const common::test::Watchdog dog;
    std::vector<std::string> out;
    GreenRuntime runtime(32 * 1024);
    const auto counter = [&out](int id, int count) {
        return [&out, id, count] {
            out.push_back("THREAD " + std::to_string(id) + " STARTING");
            for (int i = 0; i < count; ++i) {
                out.push_back("thread: " + std::to_string(id) + " counter: " + std::to_string(i));
                yield_thread();
            }
            out.push_back("THREAD " + std::to_string(id) + " FINISHED");
        };
    };
    runtime.spawn(counter(1, 10));
    runtime.spawn(counter(2, 15));
    runtime.run();

    std::vector<std::string> expected{"THREAD 1 STARTING", "thread: 1 counter: 0",
                                      "THREAD 2 STARTING", "thread: 2 counter: 0"};
    for (int i = 1; i < 10; ++i) {
        expected.push_back("thread: 1 counter: " + std::to_string(i));
        expected.push_back("thread: 2 counter: " + std::to_string(i));
    }
    expected.push_back("THREAD 1 FINISHED");
    for (int i = 10; i < 15; ++i) {
        expected.push_back("thread: 2 counter: " + std::to_string(i));
    }
    expected.push_back("THREAD 2 FINISHED");
    CHECK(out == expected);
    CHECK(runtime.alive() == 0);
}

TEST_CASE("a thread can spawn threads, which run after the ones already waiting") {
    const common::test::Watchdog dog;
    std::vector<std::string> out;
    GreenRuntime runtime(32 * 1024);
    runtime.spawn([&out] {
        out.push_back("a1");
        spawn([&out] {
            out.push_back("nested");
            spawn([&out] { out.push_back("nested twice"); });
        });
        yield_thread();
        out.push_back("a2");
    });
    runtime.spawn([&out] { out.push_back("b"); });
    runtime.run();
    // Spawned threads join the current round, after the threads already in it.
    CHECK(out == std::vector<std::string>{"a1", "b", "nested", "nested twice", "a2"});
}

TEST_CASE("ten thousand threads are alive at once, each on its own stack") {
    const common::test::Watchdog dog(std::chrono::seconds(50));
#if defined(CH05_FIBERS_TSAN)
    // ThreadSanitizer counts every fiber as one of its threads and dies past 8,128 of them
    // ("Thread limit (8128 threads) exceeded"), and each costs it milliseconds (4,000 took 39 s
    // beside other tests): under TSan the test keeps 1,000 alive.
    constexpr int kThreads = 1'000;
    MESSAGE("ThreadSanitizer build: 1,000 fibers (its thread limit is 8,128), not 10,000");
#else
    constexpr int kThreads = 10'000;
#endif
    int alive = 0;
    int most_alive = 0;
    int finished = 0;
    GreenRuntime runtime(16 * 1024);
    for (int i = 0; i < kThreads; ++i) {
        runtime.spawn([&] {
            const int value_on_my_stack = ++alive;
            most_alive = std::max(most_alive, alive);
            yield_thread(); // every thread is suspended here before any continues
            CHECK(value_on_my_stack >= 1);
            --alive;
            ++finished;
        });
    }
    CHECK(runtime.alive() == kThreads);
    runtime.run();
    CHECK(most_alive == kThreads);
    CHECK(finished == kThreads);
    CHECK(runtime.alive() == 0);
}

TEST_CASE("an exception leaving a thread comes out of run, and the other threads are unwound") {
    const common::test::Watchdog dog;
    common::test::Counted::reset();
    GreenRuntime runtime(32 * 1024);
    runtime.spawn([] {
        const common::test::Counted waiting;
        for (;;) {
            yield_thread();
        }
    });
    runtime.spawn([] {
        yield_thread();
        throw std::runtime_error("thread 2 failed");
    });
    CHECK_THROWS_WITH_AS(runtime.run(), "thread 2 failed", std::runtime_error);
    CHECK(common::test::Counted::alive() == 0);
    CHECK(runtime.alive() == 0);
}

TEST_CASE("yield_thread and spawn outside a running runtime are refused") {
    CHECK_THROWS_AS(yield_thread(), std::logic_error);
    CHECK_THROWS_AS(spawn([] {}), std::logic_error);
}

} // namespace
