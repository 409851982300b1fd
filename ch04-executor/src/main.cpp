// ch04-executor: the book's reactor-executor demos of book ch. 8 (b-reactor-executor,
// c-reactor-executor and d-multiple-threads share one runtime and differ only in their main), and a
// load mode that runs N request tasks over one or more executors sharing one reactor (load.cpp).
// The top of the stack: it uses every other file of this chapter.
#include "executor.hpp"
#include "http_get_future.hpp"
#include "load.hpp"
#include "reactor.hpp"
#include "sleep.hpp"
#include "uring_http_get_future.hpp"
#include "uring_reactor.hpp"
#include "uring_sleep.hpp"

#include "ch02-epoll-reactor/src/reactor_flag.hpp"

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
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace ch04;

// ---- part 1 (ch08/b-reactor-executor): two requests in a row in one coroutine ----------------

// Which leaf futures go with which reactor.
template <class AnyReactor>
struct Leaves;
template <>
struct Leaves<Reactor> {
    using Get = HttpGetFuture;
    using Timer = Sleep;
};
template <>
struct Leaves<UringReactor> {
    using Get = UringHttpGetFuture;
    using Timer = UringSleep;
};

// Stands for:
//     coroutine fn async_main() {
//         println!("Program starting");
//         let txt = Http::get("/600/HelloAsyncAwait").wait;   // wait point 1
//         println!("{txt}");
//         let txt = Http::get("/400/HelloAsyncAwait").wait;   // wait point 2
//         println!("{txt}");
//     }
// ch03's Coroutine with a waker: each wait hands the waker down to the request it waits for, and
// the executor polls this task again only when the reactor wakes it.
template <class AnyReactor>
class SequentialMain final : public Future<void> {
public:
    SequentialMain(AnyReactor& reactor, const common::Endpoint& server, long scale,
                   std::chrono::milliseconds deadline)
        : reactor_(reactor), server_(server), scale_(scale), timer_(reactor, deadline) {}

    PollState<void> poll(const Waker& waker) override {
        for (;;) {
            switch (state_) {
            case State::Start:
                common::println("Program starting");
                start_get(600, State::Wait1);
                break; // on to Wait1 in this same poll
            case State::Wait1:
            case State::Wait2: {
                PollState<std::string> txt = waiting_for_->poll(waker);
                if (!txt.is_ready()) {
                    // The run's deadline is a timer of this runtime, polled with the same waker.
                    if (timer_.poll(waker).is_ready()) {
                        throw TimedOut("request: timed out");
                    }
                    return PollState<void>::not_ready(); // suspended; the waker brings us back
                }
                common::println(txt.take());
                if (state_ == State::Wait1) {
                    start_get(400, State::Wait2);
                    break;
                }
                waiting_for_.reset();
                state_ = State::Resolved;
                return PollState<void>::ready();
            }
            case State::Resolved:
                throw std::logic_error("SequentialMain polled after completion");
            }
        }
    }

private:
    enum class State { Start, Wait1, Wait2, Resolved };
    using Get = typename Leaves<AnyReactor>::Get;
    using Timer = typename Leaves<AnyReactor>::Timer;

    // Http::get(path) for the next wait. A future cannot move, so it is built in place (emplace
    // destroys the previous request first).
    void start_get(long delay_ms, State next) {
        waiting_for_.emplace(reactor_, server_,
                             common::delay_path(delay_ms / scale_, "HelloAsyncAwait"));
        state_ = next;
    }

    AnyReactor& reactor_;
    const common::Endpoint& server_;
    long scale_;
    Timer timer_; // the run's deadline, for both waits
    State state_ = State::Start;
    std::optional<Get> waiting_for_; // the request of Wait1 or Wait2
};

// ---- part 2 (ch08/c-reactor-executor): the book's `request(i)` and `async_main()` ------------

// Stands for:
//     coroutine fn request(i) {
//         let txt = Http::get(&format!("/{}/HelloWorld{i}", delay)).wait;
//         println!("{txt}");
//     }
// The same for both reactors: HttpGetFuture and Sleep on the epoll Reactor, UringHttpGetFuture and
// UringSleep on the UringReactor (--reactor uring).
template <class AnyReactor, class Get, class Timer>
class Request final : public Future<void> {
public:
    Request(AnyReactor& reactor, const common::Endpoint& server, std::size_t i, long delay_ms,
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
    Get get_;
    Timer timer_;
};

// Stands for:
//     coroutine fn async_main() {
//         println!("Program starting");
//         for i in 0..5 { runtime::spawn(request(i)); }
//     }
// It finishes at its first poll; the requests it spawned keep the executor busy.
template <class AnyReactor>
class AsyncMain final : public Future<void> {
public:
    AsyncMain(AnyReactor& reactor, const common::Endpoint& server, long scale,
              std::chrono::milliseconds deadline)
        : reactor_(reactor), server_(server), scale_(scale), deadline_(deadline) {}

    PollState<void> poll(const Waker&) override {
        common::println("Program starting");
        for (std::size_t i = 0; i < 5; ++i) {
            const long delay_ms = static_cast<long>(i) * 1000 / scale_;
            using L = Leaves<AnyReactor>;
            spawn(make_task<Request<AnyReactor, typename L::Get, typename L::Timer>>(
                reactor_, server_, i, delay_ms, deadline_));
        }
        return PollState<void>::ready();
    }

private:
    AnyReactor& reactor_;
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

// Runs part 1: one executor, one task that waits twice.
template <class AnyReactor>
DemoOutcome run_sequential_main(AnyReactor& reactor, const common::Endpoint& server, long scale,
                                std::chrono::milliseconds deadline) {
    Executor executor(Executor::Options{.name = "main", .verbose = true, .report_failures = false});
    executor.block_on(make_task<SequentialMain<AnyReactor>>(reactor, server, scale, deadline));
    return DemoOutcome{executor.failed_tasks(), executor.first_failure()};
}

// Runs one executor's demo: async_main and the five requests it spawns. Failures are not printed
// per task: the demo ends with one `error:` line naming the first cause (see run_demo).
template <class AnyReactor>
DemoOutcome run_async_main(AnyReactor& reactor, const common::Endpoint& server, long scale,
                           std::chrono::milliseconds deadline, std::string name) {
    Executor executor(
        Executor::Options{.name = std::move(name), .verbose = true, .report_failures = false});
    executor.block_on(make_task<AsyncMain<AnyReactor>>(reactor, server, scale, deadline));
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

template <class AnyReactor>
int run_demo(const common::Options& opts) {
    const common::ServerTarget target(opts, common::ServerTarget::Mode::Demo);
    const long scale = opts.extra_value("--scale");
    const auto deadline = opts.deadline(4000 / scale);
    // Declared first, so it is destroyed last: every future that registers with it lives in an
    // executor below, and every executor is gone (its thread joined) before the reactor stops.
    AnyReactor reactor;

    common::trace::mark("Part 1: two in a row"); // --trace: where each part begins
    common::println(
        "== Part 1: one task, two requests in a row (book ch. 8, b-reactor-executor) ==");
    DemoFailures first_part;
    first_part.add(run_sequential_main(reactor, target.endpoint(), scale, deadline));
    first_part.throw_if_any();

    common::println("");
    common::trace::mark("Part 2: one executor");
    common::println("== Part 2: one executor, five tasks (book ch. 8, c-reactor-executor) ==");
    DemoFailures second_part;
    second_part.add(run_async_main(reactor, target.endpoint(), scale, deadline, "main"));
    second_part.throw_if_any();

    const std::size_t executors = executor_count(opts, 3);
    common::println("");
    common::trace::mark("Part 3: " + std::to_string(executors) + " executors");
    common::println("== Part 3: " + std::to_string(executors) + " executors (main + " +
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

int run_load_mode(const common::Options& opts, ch02::ReactorKind reactor) {
    const common::ServerTarget target(opts, common::ServerTarget::Mode::Load);
    common::LoadTally tally;
    const LoadRun run =
        ch04::run_load(target.endpoint(), opts.requests, opts.delay_ms, executor_count(opts, 1),
                       opts.deadline(opts.delay_ms), tally, reactor);
    common::Summary summary =
        common::make_summary("ch04", opts.requests, opts.delay_ms, tally, run.elapsed,
                             run.threads); // threads: the executors plus the reactor thread
    summary.extra = {{"polls", std::to_string(run.polls)}};
    if (reactor == ch02::ReactorKind::Uring) {
        summary.extra.push_back({"reactor", "uring"});
        summary.extra.push_back({"syscalls", std::to_string(run.syscalls)});
    }
    return common::finish_load(summary, tally);
}

const common::ExtraFlag kFlags[] = {
    {"--scale", "demo: divide the book's delays (600 and 400 ms, then 0..4000 ms) by N", 1, 1,
     1000},
    {"--executors", "executors, one per thread, main included (0: demo 3, load 1)", 0, 0, 64},
};

} // namespace

int main(int argc, char** argv) {
    const common::ProgramInfo info{
        "ch04-executor",
        "wakers, a reactor thread and executors: the reactor-executor pattern;\n"
        "  --reactor uring runs the same executors on an io_uring reactor (default: epoll)",
        kFlags};
    ch02::ReactorChoice choice;
    try {
        choice = ch02::take_reactor_flag(argc, argv);
    } catch (const std::exception& e) {
        common::eprintln(std::string("error: ") + e.what());
        return 1;
    }
    const ch02::ReactorKind reactor = choice.kind;
    return common::run_program(static_cast<int>(choice.rest.size()), choice.rest.data(), info,
                               [reactor](const common::Options& opts) {
                                   if (opts.load) {
                                       return run_load_mode(opts, reactor);
                                   }
                                   return reactor == ch02::ReactorKind::Uring
                                              ? run_demo<UringReactor>(opts)
                                              : run_demo<Reactor>(opts);
                               });
}
