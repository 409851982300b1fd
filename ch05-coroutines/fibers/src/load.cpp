// Implementation of load.hpp. Compare with chapter 4's load.cpp: there a request is a class with
// a poll() method and its state in members; here it is a loop body, and its state is on its stack.
#include "load.hpp"

#include "fiber_task.hpp"

#include "ch04-executor/src/executor.hpp"
#include "ch04-executor/src/http_get_future.hpp"
#include "ch04-executor/src/reactor.hpp"

#include <algorithm>
#include <exception>
#include <string>

namespace ch05::fibers {

LoadRun run_load(const common::Endpoint& server, std::size_t requests, long delay_ms,
                 std::size_t stack_bytes, std::chrono::milliseconds deadline,
                 common::LoadTally& tally) {
    using Clock = ch04::Reactor::Clock;
    ch04::Reactor reactor; // declared before the executor: it outlives every fiber
    const auto start = Clock::now();
    const auto end = start + deadline;
    std::size_t touched_max = 0; // only this thread's fibers write it

    const auto request = [&](std::size_t i) {
        try {
            const auto left = std::chrono::ceil<std::chrono::milliseconds>(end - Clock::now());
            ch04::Sleep timer(reactor, left);
            ch04::HttpGetFuture get(reactor, server, common::load_path(delay_ms, i), false);
            const std::string body = await_until(get, timer, "request");
            if (body == common::load_message(i)) {
                tally.succeed();
            } else {
                tally.fail(i, "wrong body '" + body.substr(0, 40) + "'");
            }
        } catch (const Fiber::Unwind&) {
            throw; // destroyed while waiting: let the unwinding go on
        } catch (const std::exception& e) {
            // "request: timed out" becomes the shared checks' "timed out"
            const std::string what = e.what();
            tally.fail(i, what == "request: timed out" ? "timed out" : what);
        }
        // Sampled: mincore(2) is a system call, and one per request would cost load mode time.
        if (i % 100 == 0) {
            touched_max = std::max(touched_max, Fiber::current()->stack().resident_bytes());
        }
    };

    ch04::Executor executor(ch04::Executor::Options{"main", false});
    // The first task is a fiber too: it spawns the others and ends.
    executor.block_on(make_fiber_task(
        [&] {
            for (std::size_t i = 0; i < requests; ++i) {
                spawn_fiber([&request, i] { request(i); }, stack_bytes);
            }
        },
        stack_bytes));
    const auto elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    return LoadRun{executor.polls(), elapsed, 2, touched_max};
}

} // namespace ch05::fibers
