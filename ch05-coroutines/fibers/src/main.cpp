// ch05-fibers: the book's fiber examples (book ch. 5: a-stack-swap, b-show-stack, c-fibers,
// d-fibers-closure) on our hand-written context switch, then the chapter-4 demo's five requests
// written as fibers on chapter 4's executor, and a load mode of N request fibers. The top of this
// folder: it uses every other file in src/.
#include "book_parts.hpp"
#include "fiber_task.hpp"
#include "green_threads.hpp"
#include "load.hpp"
#include "stack_pool.hpp"
#include "use_stack.hpp"

#include "ch04-executor/src/executor.hpp"
#include "ch04-executor/src/reactor.hpp"

#include <common/cli.hpp>
#include <common/http.hpp>
#include <common/load.hpp>
#include <common/print.hpp>
#include <common/server_target.hpp>
#include <common/trace.hpp>

#include <chrono>
#include <cstddef>
#include <stdexcept>
#include <string>

namespace {

using namespace ch05::fibers;
using std::chrono::milliseconds;

// Bytes of stack per fiber, from --stack-kib.
std::size_t stack_bytes(const common::Options& opts) {
    return static_cast<std::size_t>(opts.extra_value("--stack-kib")) * 1024;
}

// ---- Part 3: the book's c-fibers, two threads counting in turns ------------------------------

void counting_threads(std::size_t stack) {
    GreenRuntime runtime(stack);
    runtime.spawn([] {
        common::println("THREAD 1 STARTING");
        const int id = 1;
        for (int i = 0; i < 10; ++i) {
            common::println("thread: " + std::to_string(id) + " counter: " + std::to_string(i));
            yield_thread();
        }
        common::println("THREAD 1 FINISHED");
    });
    runtime.spawn([] {
        common::println("THREAD 2 STARTING");
        const int id = 2;
        for (int i = 0; i < 15; ++i) {
            common::println("thread: " + std::to_string(id) + " counter: " + std::to_string(i));
            yield_thread();
        }
        common::println("THREAD 2 FINISHED");
    });
    runtime.run();
}

// ---- Part 4: d-fibers-closure, closures that capture values and spawn more -------------------

void closures(std::size_t stack) {
    GreenRuntime runtime(stack);
    const std::string greeting = "captured by value";
    runtime.spawn([greeting] {
        common::println("closure 1: " + greeting);
        yield_thread();
        common::println("closure 1: resumed after closure 2 ran: the two take turns");
    });
    runtime.spawn([stack] {
        common::println("closure 2: spawning a nested closure");
        spawn([stack] {
            common::println("nested closure: runs on its own " + std::to_string(stack / 1024) +
                            " KiB stack");
        });
    });
    runtime.run();
}

// ---- Part 5: chapter 4's demo with fibers (book ch. 8, b-reactor-executor) ---------------------

void http_requests(const common::Endpoint& server, long scale, milliseconds deadline,
                   std::size_t stack) {
    ch04::Reactor reactor; // outlives the executor below, and so every fiber
    ch04::Executor executor(ch04::Executor::Options{"main", true, false});
    executor.block_on(make_fiber_task(
        [&] {
            common::println("Program starting");
            for (std::size_t i = 0; i < 5; ++i) {
                const long delay_ms = static_cast<long>(i) * 1000 / scale;
                // The book's `request(i)`: a straight-line function, no poll() and no co_await.
                spawn_fiber(
                    [&, i, delay_ms] {
                        const std::string txt =
                            http_get(reactor, server,
                                     common::delay_path(delay_ms, "HelloWorld" + std::to_string(i)),
                                     deadline, true);
                        common::println(txt);
                    },
                    stack);
            }
        },
        stack));
    if (executor.failed_tasks() != 0) {
        throw std::runtime_error(executor.first_failure());
    }
}

// ---- --overflow-kib: what running off the end of a fiber's stack looks like -------------------

void overflow(std::size_t stack, long kib) {
    common::println("a fiber with a " + std::to_string(stack / 1024) + " KiB stack recursing " +
                    std::to_string(kib) + " KiB deep:");
    GreenRuntime runtime(stack);
    runtime.spawn(
        [kib] { common::println("result " + std::to_string(use_stack(static_cast<int>(kib)))); });
    runtime.run();
}

int run_demo(const common::Options& opts) {
    const std::size_t stack = stack_bytes(opts);
    const long overflow_kib = opts.extra_value("--overflow-kib");
    if (overflow_kib != 0) {
        overflow(stack, overflow_kib);
        return 0;
    }
    const common::ServerTarget target(opts, common::ServerTarget::Mode::Demo);
    const long scale = opts.extra_value("--scale");
    const auto deadline = opts.deadline(4000 / scale);

    common::trace::mark("Part 1: a-stack-swap"); // --trace: where each part begins
    common::println("== Part 1: switch to a new stack and call a function (book ch. 5, "
                    "a-stack-swap) ==");
    stack_swap_demo(stack);
    common::println("");
    common::trace::mark("Part 2: b-show-stack");
    common::println("== Part 2: the new stack's bytes before the switch (book ch. 5, "
                    "b-show-stack) ==");
    show_stack_demo(stack);
    common::println("");
    common::trace::mark("Part 3: green threads");
    common::println("== Part 3: two threads taking turns: spawn, yield_thread, run (book ch. 5, "
                    "c-fibers) ==");
    counting_threads(stack);
    common::println("");
    common::trace::mark("Part 4: closures");
    common::println("== Part 4: closures that capture values, and a nested spawn (book ch. 5, "
                    "d-fibers-closure) ==");
    closures(stack);
    common::println("");
    common::trace::mark("Part 5: fibers on chapter 4's executor");
    common::println("== Part 5: five requests as fibers on chapter 4's executor (book ch. 8, "
                    "b-reactor-executor) ==");
    http_requests(target.endpoint(), scale, deadline, stack);
    return 0;
}

int run_load_mode(const common::Options& opts) {
    const common::ServerTarget target(opts, common::ServerTarget::Mode::Load);
    common::LoadTally tally;
    const LoadRun run = run_load(target.endpoint(), opts.requests, opts.delay_ms, stack_bytes(opts),
                                 opts.deadline(opts.delay_ms), tally);
    common::Summary summary = common::make_summary("ch05-fibers", opts.requests, opts.delay_ms,
                                                   tally, run.elapsed, run.threads);
    summary.extra = {{"polls", std::to_string(run.polls)},
                     {"stack_kib", std::to_string(opts.extra_value("--stack-kib"))},
                     {"stack_touched_kib", std::to_string(run.stack_touched_max / 1024)}};
    return common::finish_load(summary, tally);
}

// The default stack: see the README's "How big a stack" for the measurement behind it.
constexpr long kDefaultStackKib = 64;

const common::ExtraFlag kFlags[] = {
    {"--scale", "demo: divide the book's delays (0..4000 ms) by N", 1, 1, 1000},
    {"--stack-kib", "stack per fiber in KiB (plus one guard page)", kDefaultStackKib, 8, 65536},
    {"--overflow-kib", "demo: run a fiber that recurses N KiB deep instead (0: off)", 0, 0,
     1 << 20},
    {"--pool-stacks", "stacks kept for reuse after their fibers end (0: unmap each one)",
     static_cast<long>(StackPool::kDefaultCapacity), 0, 1 << 20},
};

} // namespace

int main(int argc, char** argv) {
    const common::ProgramInfo info{
        "ch05-fibers", "stackful coroutines: a hand-written context switch, on chapter 4's runtime",
        kFlags};
    return common::run_program(argc, argv, info, [](const common::Options& opts) {
        StackPool::shared().set_capacity(
            static_cast<std::size_t>(opts.extra_value("--pool-stacks")));
        return opts.load ? run_load_mode(opts) : run_demo(opts);
    });
}
