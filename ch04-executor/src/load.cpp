// Implementation of load.hpp: the load mode's two hand-written futures (a checked request, and the
// task that spawns an executor's share of them) and the threads that run the executors.
#include "load.hpp"

#include "executor.hpp"
#include "http_get_future.hpp"
#include "reactor.hpp"
#include "sleep.hpp"
#include "uring_http_get_future.hpp"
#include "uring_reactor.hpp"
#include "uring_sleep.hpp"

#include <atomic>
#include <exception>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace ch04 {
namespace {

using Clock = Reactor::Clock;

// What every request of the run shares. Lives on run_load's stack, which outlives every task.
struct LoadPlan {
    Reactor* reactor; // exactly one of these two is set
    UringReactor* uring;
    const common::Endpoint& server;
    std::size_t requests;
    long delay_ms;
    std::size_t stride; // the number of executors: executor k runs requests k, k + stride, ...
    Clock::time_point deadline;
    common::LoadTally& tally;
};

// One load request: GET /<delay>/load-<i>, checked, with the run's deadline as a timer of this
// runtime. Failures are recorded in the tally rather than thrown, so ten thousand failures do not
// print ten thousand `error: task` lines. The same code for both reactors: `Get` and `Timer` are
// HttpGetFuture and Sleep on the epoll Reactor, UringHttpGetFuture and UringSleep on the ring.
template <class AnyReactor, class Get, class Timer>
class LoadRequest final : public Future<void> {
public:
    LoadRequest(const LoadPlan& plan, AnyReactor& reactor, std::size_t i)
        : get_(reactor, plan.server, common::load_path(plan.delay_ms, i), false),
          timer_(reactor,
                 std::chrono::ceil<std::chrono::milliseconds>(plan.deadline - Clock::now())),
          tally_(plan.tally), index_(i) {}

    PollState<void> poll(const Waker& waker) override {
        try {
            PollState<std::string> response = get_.poll(waker);
            if (response.is_ready()) {
                const std::string body = response.take();
                if (body == common::load_message(index_)) {
                    tally_.succeed();
                } else {
                    tally_.fail(index_, "wrong body '" + body.substr(0, 40) + "'");
                }
                return PollState<void>::ready();
            }
            // Polled with the same waker as the request: whichever comes first wakes the task.
            if (timer_.poll(waker).is_ready()) {
                tally_.fail(index_, "timed out");
                return PollState<void>::ready();
            }
        } catch (const std::exception& e) {
            tally_.fail(index_, e.what());
            return PollState<void>::ready();
        }
        return PollState<void>::not_ready();
    }

private:
    Get get_;
    Timer timer_;
    common::LoadTally& tally_;
    std::size_t index_;
};

// The first task of each executor: spawns that executor's share of the requests at its first
// poll and is done — the load-mode twin of the demo's async_main.
class SpawnShare final : public Future<void> {
public:
    SpawnShare(const LoadPlan& plan, std::size_t first) : plan_(plan), first_(first) {}

    PollState<void> poll(const Waker&) override {
        for (std::size_t i = first_; i < plan_.requests; i += plan_.stride) {
            if (plan_.uring != nullptr) {
                spawn(make_task<LoadRequest<UringReactor, UringHttpGetFuture, UringSleep>>(
                    plan_, *plan_.uring, i));
            } else {
                spawn(make_task<LoadRequest<Reactor, HttpGetFuture, Sleep>>(plan_, *plan_.reactor,
                                                                            i));
            }
        }
        return PollState<void>::ready();
    }

private:
    const LoadPlan& plan_;
    std::size_t first_;
};

} // namespace

LoadRun run_load(const common::Endpoint& server, std::size_t requests, long delay_ms,
                 std::size_t executors, std::chrono::milliseconds deadline,
                 common::LoadTally& tally, ch02::ReactorKind reactor_kind) {
    if (executors == 0) {
        executors = 1;
    }
    // Declared before the threads and joined after them: the reactor outlives every task.
    std::optional<Reactor> reactor;
    std::optional<UringReactor> uring;
    if (reactor_kind == ch02::ReactorKind::Uring) {
        uring.emplace();
    } else {
        reactor.emplace();
    }

    const auto start = Clock::now();
    const LoadPlan plan{reactor ? &*reactor : nullptr,
                        uring ? &*uring : nullptr,
                        server,
                        requests,
                        delay_ms,
                        executors,
                        start + deadline,
                        tally};

    // Relaxed: the totals are read only after every thread is joined, and join() orders them.
    std::atomic<std::uint64_t> polls{0};
    // An executor thread must not let an exception escape (std::terminate); it parks it here and
    // run_load rethrows it once every thread is joined.
    std::vector<std::exception_ptr> errors(executors);
    const auto run_executor = [&](std::size_t k) noexcept {
        try {
            Executor executor(Executor::Options{
                .name = k == 0 ? "main" : "exec-" + std::to_string(k), .verbose = false});
            executor.block_on(make_task<SpawnShare>(plan, k));
            polls.fetch_add(executor.polls(), std::memory_order_relaxed);
        } catch (...) {
            errors[k] = std::current_exception();
        }
    };

    std::vector<std::thread> workers;
    try {
        for (std::size_t k = 1; k < executors; ++k) {
            workers.emplace_back(run_executor, k);
        }
    } catch (...) {
        // Could not start a thread: wait for the ones that did start, then report.
        for (std::thread& t : workers) {
            t.join();
        }
        throw;
    }
    run_executor(0); // the main thread is executor 0, as in the book's d-multiple-threads
    for (std::thread& t : workers) {
        t.join();
    }
    const auto elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);

    for (const std::exception_ptr& error : errors) {
        if (error) {
            std::rethrow_exception(error);
        }
    }
    return LoadRun{polls.load(std::memory_order_relaxed), elapsed, static_cast<int>(executors) + 1,
                   uring ? uring->syscalls() : 0};
}

} // namespace ch04
