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
#include <string_view>
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

// One load request: GET /<delay>/load-<i>, checked, bounded by the run's deadline. Failures go to
// the tally rather than out as exceptions, so ten thousand failures do not print ten thousand
// lines.
//
// Written for a small frame, because 10,000 of these are alive at once. g++ gives every parameter,
// every local and every temporary of a co_await's full-expression a slot of its own for the whole
// life of the frame. `co_await with_timeout(http_get(load_path(...)), ...)` would keep the path
// string and two awaiters there, and `co_await std::move(get)` a second copy of the awaiter. So
// the awaiter is built in a statement of its own and awaited as an lvalue, the shared values come
// through one pointer, and one catch clause does (README, "Frame size").
Task<void> load_request(std::size_t i, const LoadPlan* plan) {
    try {
        auto get = with_timeout(http_get(common::load_path(plan->delay_ms, i)),
                                std::chrono::ceil<milliseconds>(plan->deadline - Clock::now()),
                                "deadline");
        check_body(i, co_await get, *plan);
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

std::string what_of(const std::exception_ptr& error) {
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        return e.what();
    } catch (...) {
        return "unknown exception";
    }
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
    // An executor thread must not let an exception escape (std::terminate), and its executor may
    // fail to be built at all: all of it is inside the try, and what it threw is parked here for
    // run_load to turn into failed requests once every thread is joined. Sized before any thread
    // starts: each thread writes only its own element.
    std::vector<std::exception_ptr> errors(executors);
    const auto run_executor = [&](std::size_t k) noexcept {
        try {
            ch04::Executor executor(quiet_executor("exec-" + std::to_string(k)));
            block_on(executor, load_main(k, executors, requests, &plan));
            polls.fetch_add(executor.polls(), std::memory_order_relaxed);
        } catch (...) {
            errors[k] = std::current_exception();
        }
    };

    std::vector<std::thread> workers;
    workers.reserve(executors - 1); // so emplace_back below can throw only for a thread not made
    for (std::size_t k = 1; k < executors; ++k) {
        try {
            workers.emplace_back(run_executor, k);
        } catch (...) {
            // The thread could not be started: that executor's share fails below, with this cause.
            // The threads already running are joined as usual, never left to std::terminate.
            errors[k] = std::current_exception();
        }
    }
    run_executor(0); // the main thread is executor 0, as in the book's d-multiple-threads
    for (std::thread& t : workers) {
        t.join();
    }

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
    run.threads = static_cast<int>(workers.size()) + 2; // executor threads, main, the reactor
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
