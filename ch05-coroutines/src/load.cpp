// Implementation of load.hpp.
#include "load.hpp"

#include "awaitables.hpp"
#include "runtime.hpp"
#include "spawn.hpp"
#include "task.hpp"

#include "ch04-executor/src/executor.hpp"

#include <atomic>
#include <exception>
#include <string>
#include <thread>
#include <vector>

namespace ch05 {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// What every load request shares: one object that outlives every task (run_load joins all
// executors before it returns), which the tasks point at.
struct LoadPlan {
    long delay_ms;
    Clock::time_point deadline; // the run's deadline, counted from the start
    common::LoadTally* tally;
};

// Checks one answer; a plain function, so its temporaries stay off the coroutine frame.
void check_body(std::size_t i, const std::string& body, common::LoadTally& tally) {
    if (body == common::load_message(i)) {
        tally.succeed();
    } else {
        tally.fail(i, "wrong body '" + body.substr(0, 40) + "'");
    }
}

// One load request: GET /<delay>/load-<i>, checked, bounded by the run's deadline. Failures go to
// the tally rather than out as exceptions, so ten thousand failures do not print ten thousand
// lines.
//
// Written for a small frame, because 10,000 of these are alive at once. g++ gives every parameter,
// every local and every temporary of a co_await's full-expression a slot of its own for the whole
// life of the frame. `co_await with_timeout(http_get(load_path(...)), ...)` would keep the path
// string and two awaiters there, and `co_await std::move(get)` a second copy of the awaiter. So
// the awaiter is built in a statement of its own and awaited as an lvalue, the shared values come
// through one pointer, and one catch clause does: 184 bytes instead of 360 (g++ 12).
Task<void> load_request(std::size_t i, const LoadPlan* plan) {
    try {
        auto get = with_timeout(http_get(common::load_path(plan->delay_ms, i)),
                                std::chrono::ceil<milliseconds>(plan->deadline - Clock::now()),
                                "deadline");
        check_body(i, co_await get, *plan->tally);
    } catch (const std::exception& e) {
        plan->tally->fail(i, e.what()); // the tally says "request 17: deadline: timed out"
    }
}

// Spawns this executor's share of the requests: i = first, first + stride, ...
Task<void> load_main(std::size_t first, std::size_t stride, std::size_t requests,
                     const LoadPlan* plan) {
    for (std::size_t i = first; i < requests; i += stride) {
        spawn(load_request(i, plan));
    }
    co_return;
}

} // namespace

LoadRun run_load(const common::Endpoint& server, std::size_t requests, long delay_ms,
                 std::size_t executors, std::chrono::milliseconds deadline,
                 common::LoadTally& tally) {
    if (executors == 0) {
        executors = 1;
    }
    const Runtime runtime(server);
    const auto start = Clock::now();
    const LoadPlan plan{delay_ms, start + deadline, &tally};
    std::atomic<std::uint64_t> polls{0};

    // Runs on each executor thread. Nothing in load_main or load_request throws out of the task,
    // so block_on returns normally; if it ever did throw, the exception must not escape a thread.
    const auto run_executor = [&](std::size_t first) {
        ch04::Executor executor(quiet_executor("exec-" + std::to_string(first)));
        try {
            block_on(executor, load_main(first, executors, requests, &plan));
        } catch (const std::exception& e) {
            tally.fail(first, std::string("executor: ") + e.what());
        }
        polls.fetch_add(executor.polls(), std::memory_order_relaxed);
    };

    std::vector<std::thread> threads;
    for (std::size_t w = 1; w < executors; ++w) {
        threads.emplace_back(run_executor, w);
    }
    run_executor(0);
    for (std::thread& t : threads) {
        t.join();
    }

    LoadRun run;
    run.polls = polls.load(std::memory_order_relaxed);
    run.elapsed = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
    run.threads = static_cast<int>(executors) + 1;
    return run;
}

} // namespace ch05
