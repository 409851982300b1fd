// ch04-executor: the book's reactor-executor demo (ch. 8), its multi-threaded variant, and a load
// mode that runs N request tasks over one or more executors sharing one reactor (load.cpp). The
// top of the stack: it uses every other file of this chapter.
#include "executor.hpp"
#include "http_get_future.hpp"
#include "load.hpp"
#include "reactor.hpp"
#include "sleep.hpp"

#include <common/cli.hpp>
#include <common/http.hpp>
#include <common/load.hpp>
#include <common/print.hpp>
#include <common/resources.hpp>
#include <common/server_target.hpp>
#include <common/trace.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace ch04;

// ---- the demo: the book's `request(i)` and `async_main()` coroutines, written by hand --------

// Stands for:
//     coroutine fn request(i) {
//         let txt = Http::get(&format!("/{}/HelloWorld{i}", delay)).wait;
//         println!("{txt}");
//     }
class Request final : public Future<void> {
public:
    Request(Reactor& reactor, const common::Endpoint& server, std::size_t i, long delay_ms,
            std::chrono::milliseconds deadline)
        : get_(reactor, server, common::delay_path(delay_ms, "HelloWorld" + std::to_string(i))),
          timer_(reactor, deadline) {}

    PollState<void> poll(const Waker& waker) override {
        PollState<std::string> response = get_.poll(waker);
        if (response.is_ready()) {
            common::println(response.take());
            return PollState<void>::ready();
        }
        // The run's deadline is a timer of this runtime, polled with the same waker.
        if (timer_.poll(waker).is_ready()) {
            throw TimedOut("request: timed out");
        }
        return PollState<void>::not_ready();
    }

private:
    HttpGetFuture get_;
    Sleep timer_;
};

// Stands for:
//     coroutine fn async_main() {
//         println!("Program starting");
//         for i in 0..5 { runtime::spawn(request(i)); }
//     }
// It finishes at its first poll; the requests it spawned keep the executor busy.
class AsyncMain final : public Future<void> {
public:
    AsyncMain(Reactor& reactor, const common::Endpoint& server, long scale,
              std::chrono::milliseconds deadline)
        : reactor_(reactor), server_(server), scale_(scale), deadline_(deadline) {}

    PollState<void> poll(const Waker&) override {
        common::println("Program starting");
        for (std::size_t i = 0; i < 5; ++i) {
            const long delay_ms = static_cast<long>(i) * 1000 / scale_;
            spawn(make_task<Request>(reactor_, server_, i, delay_ms, deadline_));
        }
        return PollState<void>::ready();
    }

private:
    Reactor& reactor_;
    const common::Endpoint& server_;
    long scale_;
    std::chrono::milliseconds deadline_;
};

// The number of executors: --executors, or the mode's default when it is 0 (not given).
std::size_t executor_count(const common::Options& opts, std::size_t mode_default) {
    const long given = opts.extra_value("--executors");
    return given == 0 ? mode_default : static_cast<std::size_t>(given);
}

// What one executor's demo run left behind: how many tasks failed, and the first cause.
struct DemoOutcome {
    std::uint64_t failed = 0;
    std::string first_failure;
};

// Runs one executor's demo: async_main and the five requests it spawns. Failures are not printed
// per task: the demo ends with one `error:` line naming the first cause (see run_demo).
DemoOutcome run_async_main(Reactor& reactor, const common::Endpoint& server, long scale,
                           std::chrono::milliseconds deadline, std::string name) {
    Executor executor(
        Executor::Options{.name = std::move(name), .verbose = true, .report_failures = false});
    executor.block_on(make_task<AsyncMain>(reactor, server, scale, deadline));
    return DemoOutcome{executor.failed_tasks(), executor.first_failure()};
}

// Collects the outcomes of several executors (the workers report from their own threads).
class DemoFailures {
public:
    void add(const DemoOutcome& outcome) {
        std::lock_guard lock(mutex_);
        if (failed_ == 0 && outcome.failed != 0) {
            first_ = outcome.first_failure;
        }
        failed_ += outcome.failed;
    }
    // Throws, with the first cause as the program's one error line, when anything failed.
    void throw_if_any() const {
        std::lock_guard lock(mutex_);
        if (failed_ != 0) {
            throw std::runtime_error(
                first_ + (failed_ > 1
                              ? " (and " + std::to_string(failed_ - 1) + " more failed tasks)"
                              : std::string()));
        }
    }

private:
    mutable std::mutex mutex_;
    std::uint64_t failed_ = 0;
    std::string first_;
};

int run_demo(const common::Options& opts) {
    const common::ServerTarget target(opts, common::ServerTarget::Mode::Demo);
    const long scale = opts.extra_value("--scale");
    const auto deadline = opts.deadline(4000 / scale);
    // Declared first, so it is destroyed last: every future that registers with it lives in an
    // executor below, and every executor is gone (its thread joined) before the reactor stops.
    Reactor reactor;

    common::trace::mark("Part 1: one executor"); // --trace: where each part begins
    common::println("== Part 1: one executor, five tasks (book ch. 8, c-reactor-executor) ==");
    DemoFailures first_part;
    first_part.add(run_async_main(reactor, target.endpoint(), scale, deadline, "main"));
    first_part.throw_if_any();

    const std::size_t executors = executor_count(opts, 3);
    common::println("");
    common::trace::mark("Part 2: " + std::to_string(executors) + " executors");
    common::println("== Part 2: " + std::to_string(executors) + " executors (main + " +
                    std::to_string(executors - 1) +
                    " threads), one shared reactor (book ch. 8, d-multiple-threads) ==");
    DemoFailures failures;
    // A worker must not let an exception escape its thread (std::terminate); it counts as a
    // failure and the workers are always joined before the reactor goes away.
    const auto worker = [&](std::size_t w) noexcept {
        try {
            failures.add(run_async_main(reactor, target.endpoint(), scale, deadline,
                                        "exec-" + std::to_string(w)));
        } catch (const std::exception& e) {
            failures.add(DemoOutcome{1, "exec-" + std::to_string(w) + ": " + e.what()});
        }
    };
    std::vector<std::thread> threads;
    const auto join_all_threads = [&threads] {
        for (std::thread& t : threads) {
            t.join();
        }
    };
    try {
        for (std::size_t w = 1; w < executors; ++w) {
            threads.emplace_back(worker, w);
        }
        failures.add(run_async_main(reactor, target.endpoint(), scale, deadline, "main"));
    } catch (...) {
        join_all_threads();
        throw;
    }
    join_all_threads();
    failures.throw_if_any();
    return 0;
}

// ---- load mode: the runner lives in load.cpp, so the tests can call it ------------------------

int run_load_mode(const common::Options& opts) {
    const common::ServerTarget target(opts, common::ServerTarget::Mode::Load);
    common::LoadTally tally;
    const LoadRun run =
        ch04::run_load(target.endpoint(), opts.requests, opts.delay_ms, executor_count(opts, 1),
                       opts.deadline(opts.delay_ms), tally);
    common::Summary summary =
        common::make_summary("ch04", opts.requests, opts.delay_ms, tally, run.elapsed,
                             run.threads); // threads: the executors plus the reactor thread
    summary.extra = {{"polls", std::to_string(run.polls)}};
    return common::finish_load(summary, tally);
}

const common::ExtraFlag kFlags[] = {
    {"--scale", "demo: divide the book's delays (0..4000 ms) by N", 1, 1, 1000},
    {"--executors", "executors, one per thread, main included (0: demo 3, load 1)", 0, 0, 64},
};

} // namespace

int main(int argc, char** argv) {
    const common::ProgramInfo info{
        "ch04-executor", "wakers, a reactor thread and executors: the reactor-executor pattern",
        kFlags};
    return common::run_program(argc, argv, info, [](const common::Options& opts) {
        return opts.load ? run_load_mode(opts) : run_demo(opts);
    });
}
