// ch05-rust-futures-bonus: the book's ch10/a-rust-futures-bonus. Its async_main keeps `writer`, a
// reference to its own local `buffer`, across two awaits — a self-referential state machine,
// which Rust accepts only because the executor pins the future before polling it. Here the same
// function is a C++20 coroutine: `buffer` and `writer` live in the frame, the frame never moves,
// and nothing has to be pinned. Part 2 adds the join of the bonus's future.rs, written over
// references (join_refs.hpp): two child coroutines, locals of the same frame, both writing through
// `writer`. On top of ch05's layer (Task, TaskFuture, block_on, http_get) and ch04's runtime.
#include "join_refs.hpp"

#include "ch05-coroutines/src/awaitables.hpp"
#include "ch05-coroutines/src/runtime.hpp"
#include "ch05-coroutines/src/spawn.hpp"
#include "ch05-coroutines/src/task.hpp"
#include "ch05-coroutines/src/task_future.hpp"

#include <common/cli.hpp>
#include <common/http.hpp>
#include <common/print.hpp>
#include <common/server_target.hpp>

#include <chrono>
#include <string>

namespace {

using ch05::Task;
using std::chrono::milliseconds;

// Every GET carries the run's deadline, so a silent server ends the program with an error line.
ch05::FutureAwaiter<std::string> get(long delay_ms, std::string message, milliseconds deadline) {
    std::string path = common::delay_path(delay_ms, message);
    return ch05::with_timeout(ch05::http_get(path), deadline, "GET " + path);
}

// ---- Part 1: the bonus's async_main -------------------------------------------------------------
// `writer` refers to `buffer`, another local of the same frame, and is used after each suspension.
// In Rust this makes the future self-referential (book ch. 9); in C++ the frame is allocated once
// and only ever reached through a handle, so the reference stays right for the frame's whole life.
Task<void> async_main(milliseconds deadline) {
    std::string buffer = "\nBUFFER:\n----\n";
    std::string& writer = buffer;
    common::println("Program starting");
    std::string txt = co_await get(600, "HelloAsyncAwait", deadline);
    writer += txt + "\n";
    txt = co_await get(400, "HelloAsyncAwait", deadline);
    writer += txt + "\n";
    common::println(buffer);
}

// ---- Part 2: a join over references -------------------------------------------------------------
// A reference parameter is the first lifetime trap of ch05 (lifetime_traps.hpp): a lazy task may
// run after the referent is gone. Not here, and the reason is ownership, not luck: each child is a
// TaskFuture that is itself a local of the frame that owns `buffer`, declared after it. The join
// finishes before `buffer` goes out of scope, and if the parent is destroyed early (cancelled),
// its locals die in reverse order: the children before the buffer they write to. Spawned tasks
// (join_all) give no such guarantee — they may outlive their parent — so they take values.
Task<void> write_answer(std::string& writer, long delay_ms, std::string message,
                        milliseconds deadline) {
    std::string txt = co_await get(delay_ms, std::move(message), deadline);
    writer += txt + "\n";
}

Task<void> join_over_references(milliseconds deadline) {
    std::string buffer = "\nBUFFER:\n----\n";
    std::string& writer = buffer;
    common::println("Program starting");
    ch05::TaskFuture<void> first(write_answer(writer, 600, "HelloJoin1", deadline));
    ch05::TaskFuture<void> second(write_answer(writer, 400, "HelloJoin2", deadline));
    co_await ch05::examples::join_refs(first, second); // both requests at once: ~600 ms, not 1000
    common::println(buffer); // in the order the answers arrived: HelloJoin2 first
}

int run(const common::Options& opts) {
    const common::ServerTarget target(opts, common::ServerTarget::Mode::Demo);
    const ch05::Runtime runtime(target.endpoint(),
                                ch05::Runtime::Options{.announce_first_poll = true});
    const milliseconds deadline = opts.deadline(600);

    common::println("== Part 1: a reference to a local of the frame, held across two co_awaits "
                    "(book ch. 10, a-rust-futures-bonus) ==");
    ch05::block_on(async_main(deadline), ch05::verbose_executor("main"));

    common::println("");
    common::println("== Part 2: two child coroutines joined by reference, writing through the same "
                    "reference ==");
    ch05::block_on(join_over_references(deadline), ch05::verbose_executor("main"));
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    const common::ProgramInfo info{
        "ch05-rust-futures-bonus",
        "book ch10/a-rust-futures-bonus: a reference into the coroutine's own frame across "
        "co_await, and a join over references"};
    return common::run_program(argc, argv, info, run);
}
