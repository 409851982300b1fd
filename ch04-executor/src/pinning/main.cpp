// ch04-pinning: the examples of book ch. 9 (coroutines, self-referential structs and pinning) on
// this chapter's runtime, one part per example folder of the book. ch09/a-coroutines-variables
// is ch03's Coroutine (its `counter`), so it is not repeated here. With no arguments every part
// runs in the book's order; `--part N` runs one.
#include "pin_forms.hpp"
#include "relocating_executor.hpp"
#include "writer_coroutine.hpp"

#include "ch04-executor/src/executor.hpp"
#include "ch04-executor/src/future.hpp"
#include "ch04-executor/src/reactor.hpp"

#include <common/cli.hpp>
#include <common/print.hpp>
#include <common/server_target.hpp>

#include <chrono>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>

namespace {

using namespace ch04;

// What every part with requests needs: the reactor, the server, the book's delays / scale, and the
// run's deadline for each request.
struct Setting {
    Reactor& reactor;
    const common::Endpoint& server;
    long scale;
    std::chrono::milliseconds deadline;
};

// The coroutine that follows the rule (e-coroutines-pin) and the one that does not
// (c-coroutines-problem): the same code, on two different bases.
using PinnedWriter = pinning::WriterCoroutine<Future<void>>;
using UnpinnedWriter = pinning::WriterCoroutine<pinning::UnpinnedFuture<void>>;

// ---- part 1: ch09/b-coroutines-references ----------------------------------------------------
// The coroutine keeps `writer`, a pointer into its own buffer, across two waits. ch04's executor
// never moves a task, so the pointer stays right and the buffer holds both answers.
void references(const Setting& s) {
    common::println("== Part 1: a coroutine that points into itself, never moved "
                    "(book ch. 9, b-coroutines-references) ==");
    Executor executor;
    executor.block_on(make_task<PinnedWriter>(s.reactor, s.server, s.scale, s.deadline));
}

// ---- part 2: ch09/c-coroutines-problem -------------------------------------------------------
// The same coroutine, but movable, under an executor that polls it once and then moves it into a
// box. The moved task's `writer` still points into the original, so both answers are written
// there, and the task prints its own buffer without them.
void problem(const Setting& s) {
    common::println("== Part 2: the same coroutine moved after its first poll "
                    "(book ch. 9, c-coroutines-problem) ==");
    pinning::RelocatingExecutor executor;
    executor.block_on(UnpinnedWriter(s.reactor, s.server, s.scale, s.deadline));
    common::println("WRONG: the buffer above lacks both responses. They were written through the "
                    "stale pointer into the moved-from original.");
}

// ---- part 3: ch09/d-pin ----------------------------------------------------------------------
void pin_forms() {
    common::println("== Part 3: heap pinning, stack pinning, no swap, projection "
                    "(book ch. 9, d-pin) ==");
    const pinning::Print print = common::println;
    pinning::heap_pinning(print);
    pinning::stack_pinning(print);
    pinning::swap_rejected(print);
    pinning::pin_projection(print);
}

// ---- part 4: ch09/e-coroutines-pin -----------------------------------------------------------
// The rule in force: ch04::Future deletes its copy and move, so PinnedWriter cannot be handed to
// RelocatingExecutor at all (that call does not compile), and a task lives behind a BoxedFuture
// from before its first poll. With that, the optimisation of part 2 (poll once before spawning),
// which the book removes in e-coroutines-pin, is safe: it polls the future where it will stay, and
// spawning moves only the pointer.
void pinned(const Setting& s) {
    common::println("== Part 4: the rule: futures never move, tasks are BoxedFutures "
                    "(book ch. 9, e-coroutines-pin) ==");
    BoxedFuture task = make_task<PinnedWriter>(s.reactor, s.server, s.scale, s.deadline);
    const Future<void>* const address = task.get();
    // ===== the optimisation, assume ready: poll once, with a waker that names no task =====
    auto nobody = std::make_shared<ReadyQueue>();
    if (task->poll(Waker(nobody, std::numeric_limits<TaskId>::max())).is_ready()) {
        return;
    }
    common::println("polled once before spawning; the executor gets the same object: " +
                    std::string(task.get() == address ? "yes" : "no"));
    Executor executor;
    executor.block_on(std::move(task)); // moves the pointer; the future stays where it was polled
}

int run(const common::Options& opts) {
    if (opts.load) {
        throw std::invalid_argument("ch04-pinning has no load mode (ch04-executor has)");
    }
    const long part = opts.extra_value("--part");
    const common::ServerTarget target(opts, common::ServerTarget::Mode::Demo);
    const long scale = opts.extra_value("--scale");
    Reactor reactor; // outlives every executor below
    const Setting setting{reactor, target.endpoint(), scale, opts.deadline(600 / scale)};

    const auto wanted = [part](long n) { return part == 0 || part == n; };
    bool first = true;
    const auto separate = [&first] {
        if (!first) {
            common::println("");
        }
        first = false;
    };
    if (wanted(1)) {
        separate();
        references(setting);
    }
    if (wanted(2)) {
        separate();
        problem(setting);
    }
    if (wanted(3)) {
        separate();
        pin_forms();
    }
    if (wanted(4)) {
        separate();
        pinned(setting);
    }
    return 0;
}

const common::ExtraFlag kFlags[] = {
    {"--part",
     "run one part: 1 b-coroutines-references, 2 c-coroutines-problem, 3 d-pin, "
     "4 e-coroutines-pin (0: all)",
     0, 0, 4},
    {"--scale", "divide the book's delays (600 and 400 ms) by N", 1, 1, 1000},
};

} // namespace

int main(int argc, char** argv) {
    const common::ProgramInfo info{
        "ch04-pinning",
        "book ch. 9: a future that points into itself, what moving it does, and the rule that "
        "prevents it",
        kFlags};
    return common::run_program(argc, argv, info, run);
}
