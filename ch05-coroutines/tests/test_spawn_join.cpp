// Tests of spawn, block_on and join_all (spawn.hpp, join_all.hpp) and of load mode (load.hpp):
// detached tasks whose exceptions are reported, result order, constant polls per child, many tasks
// on many executor threads sharing one reactor, and an executor destroyed with suspended tasks.
#include "ch05-coroutines/src/join_all.hpp"

#include "helpers.hpp"

#include "ch05-coroutines/src/awaitables.hpp"
#include "ch05-coroutines/src/executor_threads.hpp"
#include "ch05-coroutines/src/load.hpp"
#include "ch05-coroutines/src/runtime.hpp"
#include "ch05-coroutines/src/spawn.hpp"
#include "ch05-coroutines/src/task.hpp"
#include "ch05-coroutines/src/task_future.hpp"

#include <common/delay_server.hpp>
#include <common/http.hpp>
#include <common/load.hpp>
#include <common/test_support/capture.hpp>
#include <common/test_support/counted.hpp>
#include <common/test_support/misbehaving_server.hpp>
#include <common/test_support/resources.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <coroutine>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace ch05;
using namespace ch05::test;
using common::test::Counted;
using std::chrono::milliseconds;

namespace {

const common::Endpoint kNowhere{"127.0.0.1", 9};

Task<void> set_flag(bool* flag) {
    *flag = true;
    co_return;
}

// Spawns a child and looks at its flag before and after letting the executor run.
Task<void> spawn_and_look(bool* before, bool* after, bool* flag) {
    spawn(set_flag(flag));
    *before = *flag;       // the child has not run: spawn only queued it
    co_await yield_once(); // give the executor a round
    *after = *flag;
}

Task<void> fail_after_yield(std::string what) {
    co_await yield_once();
    throw std::runtime_error(what);
}

Task<void> count_after_yield(std::atomic<int>* finished) {
    co_await yield_once();
    ++*finished;
}

Task<void> spawn_failing_and_fine(std::atomic<int>* finished) {
    spawn(fail_after_yield("spawned boom"));
    for (int i = 0; i < 3; ++i) {
        spawn(count_after_yield(finished));
    }
    co_return;
}

Task<void> spawn_three_and_leave(std::atomic<int>* finished) {
    for (int i = 0; i < 3; ++i) {
        spawn(count_after_yield(finished));
    }
    co_return; // block_on must still wait for the three
}

// Finishes after `sleep_ms`, with its index: later indexes finish first.
Task<int> index_after(int index, long sleep_ms) {
    co_await sleep_for(milliseconds(sleep_ms));
    co_return index;
}

Task<int> index_after_yields(int index, int yields) {
    for (int i = 0; i < yields; ++i) {
        co_await yield_once();
    }
    co_return index;
}

Task<int> fail_after(std::string what, int yields) {
    for (int i = 0; i < yields; ++i) {
        co_await yield_once();
    }
    throw std::runtime_error(what);
}

// Suspends in an awaitable of no runtime's: drive() refuses it, and the executor drops the task.
Task<int> suspend_on_something_foreign(int value) {
    co_await std::suspend_always{};
    co_return value;
}

Task<int> count_finish(std::atomic<int>* finished, int value) {
    co_await yield_once();
    ++*finished;
    co_return value;
}

Task<std::vector<std::string>> fetch_all(std::vector<std::string> paths) {
    std::vector<Task<std::string>> tasks;
    for (std::string& path : paths) {
        tasks.push_back([](std::string p) -> Task<std::string> {
            co_return co_await http_get(std::move(p)); // the path is a parameter, not a capture
        }(std::move(path)));
    }
    co_return co_await join_all(std::move(tasks));
}

// "t2-17": request 17 of thread 2. Appended piece by piece: g++ 12 at -O2 gives a false
// -Wrestrict warning for `"t" + std::to_string(t) + ...` (GCC bug 105329).
std::string thread_label(int t, int i) {
    std::string label = "t";
    label += std::to_string(t);
    label += '-';
    label += std::to_string(i);
    return label;
}

// Holds a counted parameter and a counted local in its frame while it waits for an answer that a
// silent server never sends: a leaf that never completes.
Task<void> wait_forever_holding(Counted counted, common::Endpoint server) {
    const Counted local = counted;
    co_await http_get(std::move(server), "/0/never");
}

} // namespace

TEST_CASE(
    "spawn is lazy: a spawned task starts only once the spawning task lets the executor run") {
    const Watchdog watchdog;
    bool before = true;
    bool after = false;
    bool flag = false;
    block_on(spawn_and_look(&before, &after, &flag));
    CHECK_FALSE(before);
    CHECK(after);
}

TEST_CASE("spawn outside block_on is a logic error") {
    bool flag = false;
    CHECK_THROWS_AS(spawn(set_flag(&flag)), std::logic_error);
    CHECK_FALSE(flag);
}

TEST_CASE("an exception escaping a spawned task is reported on stderr and counted, and the other "
          "tasks still finish") {
    const Watchdog watchdog;
    std::atomic<int> finished{0};
    const std::uint64_t failed_before = failed_spawned_tasks();
    common::test::CapturedOutput err(STDERR_FILENO);
    block_on(spawn_failing_and_fine(&finished));
    const std::string text = err.finish();
    CHECK(contains(text, "error: spawned task: spawned boom"));
    CHECK(failed_spawned_tasks() == failed_before + 1);
    CHECK(finished == 3);
}

TEST_CASE("block_on waits for every task spawned meanwhile, not only its own") {
    const Watchdog watchdog;
    std::atomic<int> finished{0};
    block_on(spawn_three_and_leave(&finished));
    CHECK(finished == 3);
}

TEST_CASE("join_all returns the results in the order given, not the order they finished in") {
    const Watchdog watchdog;
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        Runtime runtime(kNowhere);
        std::vector<Task<int>> tasks;
        for (int i = 0; i < 5; ++i) {
            // 150, 120, ... 30 ms: the last one finishes first
            tasks.push_back(index_after(i, (5 - i) * 30));
        }
        const std::vector<int> results = block_on(join_all(std::move(tasks)));
        CHECK(results == std::vector<int>{0, 1, 2, 3, 4});
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("join_all of no tasks returns an empty vector at once") {
    const Watchdog watchdog;
    CHECK(block_on(join_all(std::vector<Task<int>>{})).empty());
    block_on(join_all(std::vector<Task<void>>{}));
}

TEST_CASE("join_all waits for every child, then rethrows the exception of the lowest-numbered "
          "failed child") {
    const Watchdog watchdog;
    std::atomic<int> finished{0};
    std::vector<Task<int>> tasks;
    tasks.push_back(count_finish(&finished, 0));
    tasks.push_back(fail_after("second failed", 3)); // fails last ...
    tasks.push_back(fail_after("third failed", 1));  // ... this one first
    tasks.push_back(count_finish(&finished, 3));
    CHECK_THROWS_WITH_AS(block_on(join_all(std::move(tasks))), "second failed", std::runtime_error);
    CHECK(finished == 2); // the healthy children ran to the end
}

TEST_CASE(
    "join_all fails instead of hanging when the executor drops a child, and says which child") {
    // The child's poll throws outside its body (drive() refuses the foreign suspension), so its
    // spawned task is reported and dropped, and its frame destroyed while suspended. join_all must
    // still count it — or the joiner waits forever, and the watchdog ends the test.
    const Watchdog watchdog(std::chrono::seconds(10));
    std::atomic<int> finished{0};
    common::test::CapturedOutput err(STDERR_FILENO);
    std::vector<Task<int>> tasks;
    tasks.push_back(count_finish(&finished, 0));
    tasks.push_back(suspend_on_something_foreign(1));
    tasks.push_back(count_finish(&finished, 2));
    CHECK_THROWS_WITH_AS(block_on(join_all(std::move(tasks))),
                         doctest::Contains("join_all: child 1 was dropped"), std::logic_error);
    const std::string text = err.finish();
    CHECK(contains(text, "error: spawned task: "));
    CHECK(contains(text, "suspended without arranging a wake-up")); // the cause, reported
    CHECK(finished == 2); // the healthy children ran to the end
}

TEST_CASE("join_all's leaf wakes the waker of its latest poll, not the first one it was given") {
    // Chapter 4's rule for every leaf: a future may be polled with different wakers over its life,
    // and the one to wake is the newest. Here by hand: two polls with two wakers, then the last
    // child ends (its guard wakes the joiner).
    auto state = std::make_shared<detail::JoinState<int>>(1);
    detail::JoinFuture<int> join(state);
    const auto first_queue = std::make_shared<ch04::ReadyQueue>();
    const auto latest_queue = std::make_shared<ch04::ReadyQueue>();
    CHECK_FALSE(join.poll(ch04::Waker(first_queue, 1)).is_ready());
    CHECK_FALSE(join.poll(ch04::Waker(latest_queue, 2)).is_ready());
    {
        detail::ChildGuard<int> last_child(*state, 0);
        last_child.finished();
    }
    std::vector<ch04::TaskId> woken;
    latest_queue->take_all(woken);
    CHECK(woken == std::vector<ch04::TaskId>{2});
    first_queue->take_all(woken);
    CHECK(woken.empty());
    CHECK(join.poll(ch04::Waker(latest_queue, 2)).is_ready());
}

TEST_CASE("join_all costs a constant number of polls per child, however many children there are") {
    // Each child yields twice, so it is polled three times as its own task. Chapter 3's join_all
    // polled every child on every wake: its total grew with the square of the children.
    const Watchdog watchdog;
    const auto polls_for = [](int children) {
        ch04::Executor executor(quiet_executor());
        std::vector<Task<int>> tasks;
        for (int i = 0; i < children; ++i) {
            tasks.push_back(index_after_yields(i, 2));
        }
        const std::vector<int> results = block_on(executor, join_all(std::move(tasks)));
        CHECK(results.size() == static_cast<std::size_t>(children));
        return executor.polls();
    };
    const std::uint64_t small = polls_for(10);
    const std::uint64_t large = polls_for(1000);
    // 3 polls per child, plus 2 for the joining task.
    CHECK(small == 3 * 10 + 2);
    CHECK(large == 3 * 1000 + 2);
}

TEST_CASE(
    "many tasks on many executor threads: four executors, one reactor, every answer correct") {
    const Watchdog watchdog;
    const std::size_t baseline = common::test::open_descriptor_count();
    constexpr int kThreads = 4;
    constexpr int kPerThread = 40;
    std::atomic<int> correct{0};
    std::atomic<int> failures{0};
    {
        common::DelayServer server;
        Runtime runtime(server.endpoint());
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t) {
            threads.emplace_back([t, &correct, &failures] {
                std::vector<std::string> paths;
                for (int i = 0; i < kPerThread; ++i) {
                    paths.push_back(common::delay_path(20 + i % 5 * 20, thread_label(t, i)));
                }
                try {
                    const std::vector<std::string> bodies =
                        block_on(fetch_all(paths), quiet_executor("exec-" + std::to_string(t)));
                    for (int i = 0; i < kPerThread; ++i) {
                        if (bodies.at(static_cast<std::size_t>(i)) == thread_label(t, i)) {
                            ++correct;
                        } else {
                            ++failures;
                        }
                    }
                } catch (...) {
                    ++failures; // carried out of the thread; REQUIRE would abort the binary here
                }
            });
        }
        for (std::thread& thread : threads) {
            thread.join();
        }
        CHECK(runtime.reactor().registrations() == 0);
    }
    CHECK(failures == 0);
    CHECK(correct == kThreads * kPerThread);
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("executors on threads: each runs once, on its own thread, and what one throws is carried "
          "out and named, not std::terminate") {
    const Watchdog watchdog;
    std::vector<std::thread::id> ran_on(4);
    const std::vector<std::exception_ptr> failures = run_on_threads(4, [&](std::size_t k) {
        ran_on[k] = std::this_thread::get_id();
        if (k == 2 || k == 3) {
            throw std::runtime_error("boom " + std::to_string(k));
        }
    });
    REQUIRE(failures.size() == 4);
    CHECK(ran_on[0] == std::this_thread::get_id()); // executor 0 is the calling thread's
    for (std::size_t k = 1; k < 4; ++k) {
        CHECK(ran_on[k] != std::thread::id{});
        CHECK(ran_on[k] != std::this_thread::get_id());
    }
    CHECK_FALSE(failures[0]);
    CHECK_FALSE(failures[1]);
    CHECK(what_of(failures[2]) == "boom 2");
    CHECK_THROWS_WITH_AS(throw_if_any_failed("demo", failures),
                         "demo: exec-2: boom 2 (and 1 more executor(s) failed)",
                         std::runtime_error);
    CHECK_NOTHROW(throw_if_any_failed("demo", {nullptr, nullptr}));
}

TEST_CASE("load mode answers every request, over one executor and over three, with about two polls "
          "per request") {
    const Watchdog watchdog;
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        common::DelayServer server;
        for (const std::size_t executors : {std::size_t{1}, std::size_t{3}}) {
            CAPTURE(executors);
            common::LoadTally tally;
            const LoadRun run = run_load(server.endpoint(), 200, 100, executors, 20s, tally);
            CHECK(tally.ok() == 200);
            CHECK(tally.failed() == 0);
            CHECK(run.elapsed >= milliseconds(100));
            CHECK(run.threads == static_cast<int>(executors) + 1);
            CHECK(run.polls >= 200);                 // at least one poll per request ...
            CHECK(run.polls <= 4 * 200 + executors); // ... and a handful, not a re-poll of all
        }
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("load mode against a silent server fails every request by the runtime's deadline") {
    const Watchdog watchdog;
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        common::test::MisbehavingServer server(common::test::Misbehavior::Silent);
        common::LoadTally tally;
        const LoadRun run = run_load(server.endpoint(), 20, 0, 2, milliseconds(300), tally);
        CHECK(tally.ok() == 0);
        CHECK(tally.failed() == 20);
        CHECK(contains(tally.first_failure(), "timed out"));
        CHECK(run.elapsed >= milliseconds(300));
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("load mode against a refused port fails every request with the connect error") {
    const Watchdog watchdog;
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        const common::test::RefusedPort refused;
        common::LoadTally tally;
        run_load(refused.endpoint(), 10, 0, 1, 5s, tally);
        CHECK(tally.ok() == 0);
        CHECK(tally.failed() == 10);
        CHECK(contains(tally.first_failure(), "connect"));
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("an executor destroyed while its coroutine tasks are still suspended on a leaf destroys "
          "every frame exactly once and closes every socket") {
    // Chapter 4's block_on returns only once every task has finished, so an executor still holds
    // suspended tasks when it is destroyed only if block_on threw, or the tasks never ran under
    // it. To get there deterministically, each task gets its first poll here by hand (it connects,
    // sends, registers its socket and suspends in http_get) and is then spawned onto an executor
    // that is destroyed without running: its destructor must destroy the tasks, each frame once,
    // and with the frames the awaiters, whose futures deregister and close their sockets.
    const Watchdog watchdog;
    const std::size_t baseline = common::test::open_descriptor_count();
    Counted::reset();
    constexpr int kTasks = 5;
    {
        const common::test::MisbehavingServer server(common::test::Misbehavior::Silent);
        Runtime runtime(server.endpoint());
        {
            ch04::Executor executor(quiet_executor());
            const ch04::Waker waker(std::make_shared<ch04::ReadyQueue>(), 1);
            for (int i = 0; i < kTasks; ++i) {
                auto task = std::make_unique<TaskFuture<void>>(
                    wait_forever_holding(Counted{}, server.endpoint()));
                CHECK_FALSE(task->poll(waker).is_ready()); // suspended, socket registered
                executor.spawn(std::move(task));
            }
            CHECK(executor.pending_tasks() == kTasks);
            CHECK(Counted::alive() == 2 * kTasks); // a parameter and a local in every frame
            CHECK(runtime.reactor().registrations() == kTasks);
        }
        CHECK(Counted::alive() == 0);
        CHECK(Counted::destroyed() == Counted::constructed());
        CHECK(runtime.reactor().registrations() == 0);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}
