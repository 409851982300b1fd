// Implementation of load.hpp.
#include "load.hpp"

#include "awaitables.hpp"
#include "executor_threads.hpp"
#include "runtime.hpp"
#include "spawn.hpp"
#include "task.hpp"

#include "ch04-executor/src/executor.hpp"

#include <atomic>
#include <exception>
#include <string>
#include <string_view>
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
    // settled[i] becomes 1 once request i has been checked or failed. Only the executor thread
    // that owns request i writes its element (distinct elements are distinct memory locations, so
    // no lock), and run_load reads them after joining every thread. It is how run_load fails,
    // after an executor broke down, exactly the requests that were never settled — and no other.
    unsigned char* settled;
};

// Records request i as failed, unless it is settled already (check_body below settles it before
// it counts it, so a throw after the count cannot fail it a second time).
void fail_request(std::size_t i, std::string_view cause, const LoadPlan& plan) {
    if (plan.settled[i] == 0) {
        plan.settled[i] = 1;
        plan.tally->fail(i, cause); // the tally says "request 17: deadline: timed out"
    }
}

// Checks one answer; a plain function, so its temporaries stay off the coroutine frame.
void check_body(std::size_t i, const std::string& body, const LoadPlan& plan) {
    if (body == common::load_message(i)) {
        plan.settled[i] = 1;
        plan.tally->succeed();
    } else {
        fail_request(i, "wrong body '" + body.substr(0, 40) + "'", plan);
    }
}

// What one load request awaits: GET /<delay>/load-<i>, bounded by what is left of the run's
// deadline. A plain function, like main.cpp's get_with_deadline: the path and the awaiters it
// builds along the way are its own temporaries, so they take no room in the coroutine frame.
FutureAwaiter<std::string> get_load_answer(std::size_t i, const LoadPlan& plan) {
    const auto left = std::chrono::ceil<milliseconds>(plan.deadline - Clock::now());
    return with_timeout(http_get(common::load_path(plan.delay_ms, i)), left, "deadline");
}

// One load request, checked. Failures go to the tally rather than out as exceptions, so ten
// thousand failures do not print ten thousand lines.
//
// `plan` is a pointer, not a reference: every request shares the one plan, which outlives them all
// (run_load joins every executor before it returns). A reference parameter would look like the
// trap in lifetime_traps.hpp; a pointer says that the frame holds no copy.
Task<void> load_request(std::size_t i, const LoadPlan* plan) {
    try {
        const std::string body = co_await get_load_answer(i, *plan);
        check_body(i, body, *plan);
    } catch (const std::exception& e) {
        fail_request(i, e.what(), *plan);
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
    const Runtime runtime(server); // declared before the threads, which are joined before it goes
    std::vector<unsigned char> settled(requests, 0);
    const auto start = Clock::now();
    const LoadPlan plan{delay_ms, start + deadline, &tally, settled.data()};

    // Relaxed: the totals are read only after every thread is joined, and join() orders them.
    std::atomic<std::uint64_t> polls{0};
    // Request i runs on executor i % executors; the main thread is executor 0, as in the book's
    // d-multiple-threads. What an executor throws (or why its thread did not start) comes back in
    // `errors`, to fail the requests it had not settled.
    const std::vector<std::exception_ptr> errors = run_on_threads(executors, [&](std::size_t k) {
        ch04::Executor executor(quiet_executor(executor_name(k)));
        block_on(executor, load_main(k, executors, requests, &plan));
        polls.fetch_add(executor.polls(), std::memory_order_relaxed);
    });

    // Every request is checked or failed exactly once: those an executor settled are in the tally
    // already; the rest belong to an executor that broke down (or never started) and fail here
    // with its cause. An executor that failed after settling some of its requests cannot count
    // those twice.
    for (std::size_t i = 0; i < requests; ++i) {
        if (settled[i] == 0) {
            const std::exception_ptr& error = errors[i % executors];
            tally.fail(i,
                       error ? "executor: " + what_of(error) : "executor: request never settled");
        }
    }

    LoadRun run;
    run.polls = polls.load(std::memory_order_relaxed);
    run.elapsed = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
    run.threads = static_cast<int>(executors) + 1; // the executors (main included), the reactor
    return run;
}

namespace detail {

namespace {
// Not inlined, and it hands the task back: the frame does not die in the function that created it.
// A frame that provably does may be placed in that function's own stack frame instead of the heap
// (clang does it from -O1 on), and then operator new is never asked for its size.
[[gnu::noinline]] Task<void> unstarted_request(const LoadPlan* plan) {
    return load_request(0, plan); // allocates the frame; runs nothing (tasks are lazy)
}
} // namespace

std::size_t load_request_frame_size() {
    const LoadPlan plan{0, Clock::now(), nullptr, nullptr}; // never used: the body never runs
    last_frame_size = 0;
    const Task<void> request = unstarted_request(&plan);
    return last_frame_size; // ~Task frees the frame
}

} // namespace detail

} // namespace ch05
