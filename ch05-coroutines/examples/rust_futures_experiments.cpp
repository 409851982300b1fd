// ch05-rust-futures-experiments: the book's ch10/b-rust-futures-experiments. There, async_main2
// awaits reqwest's futures on the book's executor — which works only after entering a tokio
// runtime, because those leaf futures belong to tokio's reactor — and async_main3 and spawn_many
// await isahc's, which bring a reactor thread of their own. The lesson: a leaf future belongs to
// the reactor that drives it; the executor only needs its Waker. Here the foreign library is asio:
// part 1 awaits an asio operation as it is, and is refused; part 2 awaits asio through a bridge
// (an io_context on its own thread, completing through our Waker); part 3 spawns ten of them.
// Built only when asio is installed. On top of ch05's layer and asio (examples/asio/).
#include "asio/asio_http_get.hpp"
#include "asio/asio_thread.hpp"
#include "asio/naive_asio_wait.hpp"

#include "ch05-coroutines/src/awaitables.hpp"
#include "ch05-coroutines/src/future_awaiter.hpp"
#include "ch05-coroutines/src/runtime.hpp"
#include "ch05-coroutines/src/spawn.hpp"
#include "ch05-coroutines/src/task.hpp"

#include <common/cli.hpp>
#include <common/http.hpp>
#include <common/print.hpp>
#include <common/server_target.hpp>

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>

namespace {

using ch05::Task;
using ch05::examples::AsioHttpGetFuture;
using std::chrono::milliseconds;

// What a coroutine needs to reach for an asio GET: asio's thread, the server, the deadline.
struct Setting {
    asio::io_context& io;
    common::Endpoint server;
    milliseconds deadline;
};

// The bridge, awaited like any ch05 leaf: an asio operation inside a ch04 future, with ch05's
// deadline (a timer of *our* reactor) around it. Dropping it at the deadline cancels the asio
// operation too.
ch05::FutureAwaiter<std::string> asio_get(const Setting& s, long delay_ms, std::string message) {
    std::string path = common::delay_path(delay_ms, message);
    std::string what = "GET " + path;
    return ch05::with_timeout(
        ch05::from_future(std::make_unique<AsioHttpGetFuture>(s.io, s.server, std::move(path))),
        s.deadline, std::move(what));
}

// ---- Part 1: an asio operation awaited as it is ------------------------------------------------
// An io_context that nobody runs, and a timer on it awaited through NaiveAsioWait.
Task<void> await_asio_as_it_is(asio::io_context& nobody_runs_this) {
    asio::steady_timer timer(nobody_runs_this, std::chrono::milliseconds(10));
    co_await ch05::examples::NaiveAsioWait{timer};
    common::println("not reached: the coroutine was never resumed");
}

// ---- Part 2: the book's async_main, its GETs done by asio --------------------------------------
// The Setting is passed by value: it holds a reference to the AsioThread's context, which run()
// keeps alive until every task has finished.
Task<void> async_main(Setting s) {
    common::println("Program starting");
    std::string txt = co_await asio_get(s, 600, "HelloAsyncAwait1");
    common::println(txt);
    txt = co_await asio_get(s, 400, "HelloAsyncAwait2");
    common::println(txt);
}

// ---- Part 3: the book's spawn_many, with ten requests instead of a hundred ---------------------
Task<void> request(Setting s, std::size_t i) {
    const std::string txt =
        co_await asio_get(s, static_cast<long>(i) * 10, "HelloAsyncAwait" + std::to_string(i));
    common::println(txt);
}

Task<void> spawn_many(Setting s) {
    for (std::size_t i = 0; i < 10; ++i) {
        ch05::spawn(request(s, i));
    }
    co_return;
}

int run(const common::Options& opts) {
    const common::ServerTarget target(opts, common::ServerTarget::Mode::Demo);
    // Our reactor (ch04's, for the deadlines' timers) ...
    const ch05::Runtime runtime(target.endpoint());
    // ... and asio's, on a thread of its own: the bridge's leaf futures belong to it.
    ch05::examples::AsioThread asio_thread;
    const Setting setting{
        .io = asio_thread.context(), .server = target.endpoint(), .deadline = opts.deadline(600)};

    common::println("== Part 1: an asio operation awaited from a Task as it is (refused) ==");
    {
        asio::io_context nobody_runs_this;
        bool refused = false;
        try {
            ch05::block_on(await_asio_as_it_is(nobody_runs_this));
        } catch (const std::logic_error& error) {
            refused = true;
            common::println(std::string("refused: ") + error.what());
        }
        if (!refused) {
            throw std::logic_error("part 1: the naive await was expected to be refused");
        }
    }

    common::println("");
    common::println("== Part 2: async_main with asio's GETs through the bridge (book ch. 10, "
                    "b-rust-futures-experiments) ==");
    ch05::block_on(async_main(setting), ch05::verbose_executor("main"));

    common::println("");
    common::println(
        "== Part 3: ten spawned tasks, each awaiting an asio GET (the book's spawn_many) "
        "==");
    const std::uint64_t failed_before = ch05::failed_spawned_tasks();
    ch05::block_on(spawn_many(setting), ch05::verbose_executor("main"));
    if (ch05::failed_spawned_tasks() != failed_before) {
        throw std::runtime_error("demo: a spawned task failed");
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    const common::ProgramInfo info{
        "ch05-rust-futures-experiments",
        "book ch10/b-rust-futures-experiments: asio's leaf futures on our executor, through a "
        "bridge that completes with our Waker"};
    return common::run_program(argc, argv, info, run);
}
