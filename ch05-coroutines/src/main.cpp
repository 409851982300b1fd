// ch05-coroutines: the book's async_main written with co_await (ch. 8 a-runtime, ch. 10
// a-rust-futures), the chapter-4 demo's request tasks as coroutines — spawned, joined, and on
// several executor threads (ch. 7-8) — and a load mode of N spawned coroutine tasks. The top of the
// layering: everything below is ch05's coroutine layer on chapter 4's runtime.
#include "awaitables.hpp"
#include "executor_threads.hpp"
#include "join_all.hpp"
#include "load.hpp"
#include "runtime.hpp"
#include "spawn.hpp"
#include "task.hpp"

#include <common/cli.hpp>
#include <common/http.hpp>
#include <common/load.hpp>
#include <common/print.hpp>
#include <common/resources.hpp>
#include <common/server_target.hpp>
#include <common/trace.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace {

using namespace ch05;
using std::chrono::milliseconds;

// ---- Part 1: the book's async_main (ch. 8 a-runtime, ch. 10 a-rust-futures) -------------------
//
// Chapter 3's Coroutine class was this function's state machine, written by hand: two wait points,
// two states, a `txt` that did not need to survive a wait. Here the compiler writes it.
//
// Every GET here carries the run's deadline (with_timeout), so a server that never answers ends the
// program with "error: GET /600/HelloAsyncAwait: timed out" instead of hanging it. The book's
// version has no deadline: `co_await http_get(path)` alone is the same code without it.
FutureAwaiter<std::string> get_with_deadline(std::string path, milliseconds deadline) {
    std::string what = "GET " + path;
    return with_timeout(http_get(std::move(path)), deadline, std::move(what));
}

Task<void> async_main(long scale, milliseconds deadline) {
    common::println("Program starting");
    std::string txt =
        co_await get_with_deadline(common::delay_path(600 / scale, "HelloAsyncAwait"), deadline);
    common::println(txt);
    txt = co_await get_with_deadline(common::delay_path(400 / scale, "HelloAsyncAwait"), deadline);
    common::println(txt);
}

// ---- Part 2 and 4: ch04's demo, with coroutines (book ch. 8, c-reactor-executor) -----------

// The book's `request(i)`; chapter 4 wrote it as a class with a poll() method.
Task<void> request(std::size_t i, long delay_ms, milliseconds deadline) {
    const std::string txt = co_await get_with_deadline(
        common::delay_path(delay_ms, "HelloWorld" + std::to_string(i)), deadline);
    common::println(txt);
}

// The book's chapter-8 async_main: spawn five requests and finish; they keep the executor busy.
Task<void> spawn_requests(long scale, milliseconds deadline) {
    common::println("Program starting");
    for (std::size_t i = 0; i < 5; ++i) {
        spawn(request(i, static_cast<long>(i) * 1000 / scale, deadline));
    }
    co_return;
}

// ---- Part 3: join_all (ch. 7 c-async-await) ----------------------------------------------------

Task<std::string> fetch(std::size_t i, long delay_ms, milliseconds deadline) {
    std::string txt = co_await get_with_deadline(
        common::delay_path(delay_ms, "Joined" + std::to_string(i)), deadline);
    common::println("arrived: " + txt);
    co_return txt;
}

// Five requests whose answers arrive last-asked-first; join_all gives them back in the order asked.
Task<void> join_requests(long scale, milliseconds deadline) {
    common::println("Program starting");
    std::vector<Task<std::string>> tasks;
    for (std::size_t i = 0; i < 5; ++i) {
        tasks.push_back(fetch(i, static_cast<long>(5 - i) * 200 / scale, deadline));
    }
    const std::vector<std::string> bodies = co_await join_all(std::move(tasks));
    std::string line = "join_all:";
    for (const std::string& body : bodies) {
        line += " " + body;
    }
    common::println(line + " (in the order asked)");
}

// --executors N, or the mode's default for 0 (as in chapter 4: 3 in the demo, 1 in load mode).
std::size_t executor_count(const common::Options& opts, std::size_t mode_default) {
    const long given = opts.extra_value("--executors");
    return given == 0 ? mode_default : static_cast<std::size_t>(given);
}

// Spawned tasks report their own failures on stderr; the demo fails if any did.
void check_spawned(std::uint64_t failed_before) {
    const std::uint64_t failed = failed_spawned_tasks() - failed_before;
    if (failed != 0) {
        throw std::runtime_error("demo: " + std::to_string(failed) + " task(s) failed");
    }
}

int run_demo(const common::Options& opts) {
    const common::ServerTarget target(opts, common::ServerTarget::Mode::Demo);
    const long scale = opts.extra_value("--scale");
    const auto deadline = opts.deadline(4000 / scale);
    const Runtime runtime(target.endpoint(), Runtime::Options{.announce_first_poll = true});
    const std::uint64_t failed_before = failed_spawned_tasks();

    common::trace::mark("Part 1: co_await"); // --trace: where each part begins
    common::println("== Part 1: async_main with co_await, two requests in a row (book ch. 8 "
                    "a-runtime, ch. 10 a-rust-futures) ==");
    block_on(async_main(scale, deadline), verbose_executor("main"));

    common::println("");
    common::trace::mark("Part 2: spawn");
    common::println("== Part 2: one executor, five spawned tasks (book ch. 8, c-reactor-executor) "
                    "==");
    block_on(spawn_requests(scale, deadline), verbose_executor("main"));
    check_spawned(failed_before);

    common::println("");
    common::trace::mark("Part 3: join_all");
    common::println("== Part 3: five tasks joined with join_all, answers in reverse order (book "
                    "ch. 7, c-async-await) ==");
    block_on(join_requests(scale, deadline), verbose_executor("main"));

    const std::size_t executors = executor_count(opts, 3);
    common::println("");
    common::trace::mark("Part 4: " + std::to_string(executors) + " executors");
    common::println("== Part 4: " + std::to_string(executors) + " executors (main + " +
                    std::to_string(executors - 1) +
                    " threads), one shared reactor (book ch. 8, d-multiple-threads) ==");
    // The main thread is executor 0; each executor spawns the same five requests. A failure on
    // any thread becomes one `error:` line for the run, naming the first executor that failed.
    const auto failures = run_on_threads(executors, [&](std::size_t k) {
        block_on(spawn_requests(scale, deadline), verbose_executor(executor_name(k)));
    });
    throw_if_any_failed("demo", failures);
    check_spawned(failed_before);
    return 0;
}

// ---- load mode: the runner is in load.cpp ---------------------------------------------------

int run_load(const common::Options& opts) {
    const common::ServerTarget target(opts, common::ServerTarget::Mode::Load);
    common::LoadTally tally;
    const ch05::LoadRun run =
        ch05::run_load(target.endpoint(), opts.requests, opts.delay_ms, executor_count(opts, 1),
                       opts.deadline(opts.delay_ms), tally);

    common::Summary summary =
        common::make_summary("ch05", opts.requests, opts.delay_ms, tally, run.elapsed,
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
        "ch05-coroutines", "C++20 coroutines (co_await) on the chapter-4 reactor and executors",
        kFlags};
    return common::run_program(argc, argv, info, [](const common::Options& opts) {
        return opts.load ? run_load(opts) : run_demo(opts);
    });
}
