// ch05-coroutine-bonus: the book's ch07/a-coroutine-bonus. The same async_main as ch03's
// hand-written Coroutine, now a C++20 coroutine whose state machine the compiler writes, driven by
// the busy-polling loop of ch07/a-coroutine (ch03's part 1): poll, print "Schedule other tasks",
// sleep 100 ms, poll again. It sits on ch05's layer (Task, TaskFuture, http_get) and uses no
// executor at all: this file's loop is the whole runtime.
//
// Which Future interface the loop polls: ch04's, the one with a Waker. The book's bonus exists to
// show that Rust's real Future trait — whose poll takes a Context holding a Waker — gives the same
// flow as the hand-written state machine of ch07/a-coroutine, whose poll took nothing. ch03's
// Future is that waker-less trait; ch04's is the one with the waker, and a Task runs only as a
// ch04 future (TaskFuture): its awaiters hand the poll's waker down to the leaf. So the honest
// counterpart of the book's dummy_waker() is a real ch04::Waker that nobody listens to.
#include "ch05-coroutines/src/awaitables.hpp"
#include "ch05-coroutines/src/runtime.hpp"
#include "ch05-coroutines/src/task.hpp"
#include "ch05-coroutines/src/task_future.hpp"

#include "ch04-executor/src/waker.hpp"

#include <common/cli.hpp>
#include <common/http.hpp>
#include <common/print.hpp>
#include <common/server_target.hpp>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// The book's async_main of ch07/a-coroutine-bonus: two requests in a row. Compare ch03's
// coroutine.cpp, which is this function's state machine written out by hand.
ch05::Task<void> async_main() {
    common::println("Program starting");
    std::string txt = co_await ch05::http_get(common::delay_path(600, "HelloAsyncAwait1"));
    common::println(txt);
    txt = co_await ch05::http_get(common::delay_path(400, "HelloAsyncAwait2"));
    common::println(txt);
}

// The book's dummy_waker(): a waker that leads nowhere. A ch04::Waker is a ready queue and a task
// id; this queue belongs to no executor, so a wake() pushes an id nobody ever takes and unparks a
// parker nobody parks on. The reactor below does call it when a socket becomes readable (the leaf
// stores the waker with the reactor, as every ch04 leaf must) — and nothing follows from that: the
// loop polls every 100 ms whether anything happened or not.
ch04::Waker waker_that_does_nothing() {
    return ch04::Waker(std::make_shared<ch04::ReadyQueue>(), /*id=*/0);
}

int run(const common::Options& opts) {
    const common::ServerTarget target(opts, common::ServerTarget::Mode::Demo);
    // The reactor the leaf futures register with (book: the mio stream is read without one; our
    // leaf is ch04's HttpGetFuture, which needs a reactor to hand its waker to).
    const ch05::Runtime runtime(target.endpoint(),
                                ch05::Runtime::Options{.announce_first_poll = true});

    // The book pins the future in a Box and polls it through the pin. A TaskFuture owns the
    // coroutine's frame, which never moves, and is polled in place here.
    ch05::TaskFuture<void> future(async_main());
    const ch04::Waker waker = waker_that_does_nothing();

    const auto deadline = Clock::now() + opts.deadline(600 + 400);
    while (!future.poll(waker).is_ready()) {
        common::println("Schedule other tasks");
        if (Clock::now() >= deadline) {
            throw std::runtime_error("busy polling: timed out");
        }
        std::this_thread::sleep_for(100ms); // only to keep the output short, as in the book
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    const common::ProgramInfo info{
        "ch05-coroutine-bonus",
        "book ch07/a-coroutine-bonus: a C++20 coroutine polled by a busy loop with a waker that "
        "does nothing"};
    return common::run_program(argc, argv, info, run);
}
