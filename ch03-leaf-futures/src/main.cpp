// The ch03-leaf-futures program: the demos of the book's ch07/a-coroutine, ch07/b-async-await and
// ch08/a-runtime on this chapter's futures, in three parts (busy polling, block_on, then five
// requests one after another in one coroutine versus all at once under join_all). Load mode
// (join_all over N HttpGetFutures under block_on) lives in load.cpp; main only prints its summary
// line.
#include "coroutine.hpp"
#include "five_waits.hpp"
#include "future.hpp"
#include "http_get_future.hpp"
#include "join_all.hpp"
#include "load.hpp"
#include "runtime.hpp"

#include "ch02-epoll-reactor/src/poll.hpp"

#include <common/cli.hpp>
#include <common/http.hpp>
#include <common/load.hpp>
#include <common/print.hpp>
#include <common/server_target.hpp>
#include <common/trace.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// "1.004 s": the book prints ELAPSED TIME in seconds.
std::string elapsed_since(Clock::time_point start) {
    const std::chrono::duration<double> elapsed = Clock::now() - start;
    char text[32];
    std::snprintf(text, sizeof text, "%.3f s", elapsed.count());
    return text;
}

// Lets the coroutine create its requests with Http::get, as the book's coroutine calls the global
// `Http::get`.
ch03::Coroutine::HttpGet getter(ch03::Http& http) {
    return [&http](std::string path) { return http.get(std::move(path)); };
}

// ---- part 1: the main of the book's ch07/a-coroutine -----------------------------------------
// Nothing here knows when a response arrives, so the loop asks every 100 ms: busy polling. The
// sleep only keeps the output short; without it the loop would burn a whole core asking.
void busy_polling_main(const common::Endpoint& server, const common::Options& opts) {
    common::println("");
    common::trace::mark("Part 1: busy polling"); // --trace: where each part begins
    common::println("== 1. The main of the book's ch07/a-coroutine: poll, 'Schedule other tasks', "
                    "sleep 100 ms, poll again ==");
    // The leaf futures register their sockets with this Poll, but nobody ever waits on it (the
    // book's ch07/a-coroutine registers nothing); part 2 is where waiting on it pays off.
    ch02::Poll poll;
    ch03::Http http(poll.registry(), server);
    std::unique_ptr<ch03::Future<void>> future = ch03::async_main(getter(http));

    const auto start = Clock::now();
    const auto deadline = start + opts.deadline(600 + 400);
    std::uint64_t polls = 0;
    for (;;) {
        ++polls;
        if (future->poll().is_ready()) {
            break;
        }
        common::println("Schedule other tasks");
        if (Clock::now() >= deadline) {
            throw std::runtime_error("busy polling: timed out");
        }
        std::this_thread::sleep_for(100ms); // "since we print every poll, slow down the loop"
    }
    common::println("ELAPSED TIME: " + elapsed_since(start) + " (" + std::to_string(polls) +
                    " polls, nearly all of them for nothing)");
}

// ---- part 2: the same coroutine under block_on (ch08/a-runtime) --------------------------------
void block_on_main(const common::Endpoint& server, const common::Options& opts) {
    common::println("");
    common::trace::mark("Part 2: block_on");
    common::println("== 2. The same coroutine under block_on (the book's ch08/a-runtime): sleep "
                    "in epoll_wait until a socket is ready ==");
    ch03::Runtime runtime;
    runtime.announce_waits(true); // prints `Schedule other tasks` before each sleep
    ch03::Http http(runtime.registry(), server);
    std::unique_ptr<ch03::Future<void>> future = ch03::async_main(getter(http));

    const auto start = Clock::now();
    runtime.block_on(*future, start + opts.deadline(600 + 400));
    common::println("ELAPSED TIME: " + elapsed_since(start) + " (" +
                    std::to_string(runtime.polls()) + " polls, " + std::to_string(runtime.wakes()) +
                    " wakes from epoll_wait)");
}

// ---- part 3: five requests one after another (ch07/b-async-await), then all at once ----------
void sequential_versus_join_all(const common::Endpoint& server, const common::Options& opts) {
    // Decreasing delays, as in ch02: the last request is answered first.
    const long delays[] = {500, 400, 300, 200, 100};
    std::vector<std::string> paths;
    for (std::size_t i = 0; i < std::size(delays); ++i) {
        paths.push_back(common::delay_path(delays[i], "HelloWorld" + std::to_string(i)));
    }

    common::println("");
    common::trace::mark("Part 3a: one after another");
    common::println("== 3a. Five requests one after another: one coroutine with five waits "
                    "(the book's ch07/b-async-await) ==");
    {
        ch03::Runtime runtime;
        ch03::Http http(runtime.registry(), server);
        ch03::FiveWaits coroutine({paths[0], paths[1], paths[2], paths[3], paths[4]}, getter(http));
        const auto start = Clock::now();
        runtime.block_on(coroutine, start + opts.deadline(500 + 400 + 300 + 200 + 100));
        common::println("ELAPSED TIME: " + elapsed_since(start) +
                        " (the sum of the delays: each wait starts after the one before)");
    }

    common::println("");
    common::trace::mark("Part 3b: join_all");
    common::println("== 3b. The same five under join_all: one block_on, all requests at once ==");
    {
        ch03::Runtime runtime;
        ch03::Http http(runtime.registry(), server);
        std::vector<std::unique_ptr<ch03::Future<std::string>>> futures;
        for (const std::string& path : paths) {
            futures.push_back(http.get(path));
        }
        auto all = ch03::join_all(std::move(futures));
        const auto start = Clock::now();
        for (const std::string& body : runtime.block_on(*all, start + opts.deadline(500))) {
            common::println(body); // in the order given, although they completed in reverse
        }
        common::println("ELAPSED TIME: " + elapsed_since(start) +
                        " (the longest delay; join_all polled its children " +
                        std::to_string(all->child_polls()) + " times over " +
                        std::to_string(runtime.wakes()) + " wakes)");
    }
}

int run_demo(const common::Options& opts) {
    const common::ServerTarget target(opts, common::ServerTarget::Mode::Demo);
    busy_polling_main(target.endpoint(), opts);
    block_on_main(target.endpoint(), opts);
    sequential_versus_join_all(target.endpoint(), opts);
    common::println("");
    common::println("FINISHED");
    return 0;
}

// ---- load mode: the runner lives in load.cpp, so the tests can call it ------------------------
int run_load_mode(const common::Options& opts) {
    const common::ServerTarget target(opts, common::ServerTarget::Mode::Load);
    common::LoadTally tally;
    const ch03::LoadRun run = ch03::run_load(target.endpoint(), opts.requests, opts.delay_ms,
                                             opts.deadline(opts.delay_ms), tally);
    // threads: 1, because block_on polls everything on the main thread.
    common::Summary summary =
        common::make_summary("ch03", opts.requests, opts.delay_ms, tally, run.elapsed, 1);
    summary.extra = {{"polls", std::to_string(run.polls)}, {"wakes", std::to_string(run.wakes)}};
    return common::finish_load(summary, tally);
}

constexpr common::ProgramInfo kInfo{
    "ch03-leaf-futures",
    "hand-written poll-based futures: a lazy leaf future, a coroutine written as a state "
    "machine, join_all, and block_on sleeping in epoll"};

} // namespace

int main(int argc, char** argv) {
    return common::run_program(argc, argv, kInfo, [](const common::Options& opts) {
        return opts.load ? run_load_mode(opts) : run_demo(opts);
    });
}
