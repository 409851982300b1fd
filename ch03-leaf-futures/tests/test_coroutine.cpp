// Tests of the hand-written coroutine: it is lazy, walks Start -> Wait1 -> Wait2 -> Resolved one
// wait at a time, keeps its local across the waits, owns and frees its futures, and ends on an
// error. Scripted futures make every step deterministic; one test runs it against the server.
#include "ch03-leaf-futures/src/coroutine.hpp"

#include "ch03-leaf-futures/src/http_get_future.hpp"
#include "ch03-leaf-futures/src/runtime.hpp"
#include "support.hpp"

#include <common/delay_server.hpp>
#include <common/test_support/counted.hpp>
#include <common/test_support/resources.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using State = ch03::Coroutine::State;
using common::test::Counted;

namespace {

// Stands in for Http::get: records each path asked for and hands out a scripted future whose
// answer is the message of the path ("/600/HelloWorld1" -> "HelloWorld1") after `not_ready[k]`
// not-ready polls for the k-th request.
struct FakeHttp {
    explicit FakeHttp(std::vector<int> not_ready_polls) : not_ready(std::move(not_ready_polls)) {}

    std::vector<int> not_ready;
    std::vector<std::string> paths;
    std::vector<int> polls = std::vector<int>(8, 0);

    ch03::Coroutine::HttpGet getter() {
        return [this](std::string path) -> std::unique_ptr<ch03::Future<std::string>> {
            const std::size_t k = paths.size();
            paths.push_back(path);
            const std::string message = path.substr(path.rfind('/') + 1);
            return std::make_unique<ch03::test::ScriptedFuture<std::string>>(not_ready.at(k),
                                                                             message, polls.at(k));
        };
    }
};

struct Log {
    std::vector<std::string> lines;
    ch03::Coroutine::Print printer() {
        return [this](std::string_view line) { lines.emplace_back(line); };
    }
};

} // namespace

TEST_CASE("the coroutine does nothing before its first poll") {
    FakeHttp http({0, 0});
    Log log;
    const auto coroutine = ch03::async_main(http.getter(), log.printer());
    CHECK(coroutine->state() == State::Start);
    CHECK(log.lines.empty());
    CHECK(http.paths.empty());
}

TEST_CASE("the coroutine moves through Start, Wait1, Wait2 and Resolved in order and keeps its "
          "counter across the waits") {
    FakeHttp http({2, 1}); // the first get is not ready twice, the second once
    Log log;
    const auto coroutine = ch03::async_main(http.getter(), log.printer());

    // Poll 1: the code up to the first wait runs; the first get is started and not ready.
    CHECK_FALSE(coroutine->poll().is_ready());
    CHECK(coroutine->state() == State::Wait1);
    CHECK(log.lines == std::vector<std::string>{"Program starting"});
    CHECK(http.paths == std::vector<std::string>{"/600/HelloWorld1"});
    CHECK(coroutine->counter() == 0);

    // Poll 2: still waiting; nothing else runs, nothing is printed twice.
    CHECK_FALSE(coroutine->poll().is_ready());
    CHECK(coroutine->state() == State::Wait1);
    CHECK(log.lines.size() == 1);
    CHECK(http.polls[0] == 2);

    // Poll 3: the first answer is there: print it, count it, start the second get (only now).
    CHECK_FALSE(coroutine->poll().is_ready());
    CHECK(coroutine->state() == State::Wait2);
    CHECK(log.lines == std::vector<std::string>{"Program starting", "HelloWorld1"});
    CHECK(http.paths == std::vector<std::string>{"/600/HelloWorld1", "/400/HelloWorld2"});
    CHECK(coroutine->counter() == 1); // the local survived the return from poll()

    // Poll 4: the second answer: the rest of the function runs to the end.
    CHECK(coroutine->poll().is_ready());
    CHECK(coroutine->state() == State::Resolved);
    CHECK(coroutine->counter() == 2);
    CHECK(log.lines == std::vector<std::string>{"Program starting", "HelloWorld1", "HelloWorld2",
                                                "Received 2 responses."});
    CHECK(http.polls[0] == 3);
    CHECK(http.polls[1] == 2);
}

TEST_CASE("a coroutine whose futures are ready at once finishes on its first poll") {
    FakeHttp http({0, 0});
    Log log;
    const auto coroutine = ch03::async_main(http.getter(), log.printer());
    CHECK(coroutine->poll().is_ready()); // the loop runs from piece to piece without returning
    CHECK(coroutine->state() == State::Resolved);
    CHECK(log.lines.size() == 4);
}

TEST_CASE("a coroutine polled after it resolved is a logic error") {
    FakeHttp http({0, 0});
    Log log;
    const auto coroutine = ch03::async_main(http.getter(), log.printer());
    REQUIRE(coroutine->poll().is_ready());
    CHECK_THROWS_WITH_AS(coroutine->poll(), "Coroutine polled after completion", std::logic_error);
    CHECK(log.lines.size() == 4); // nothing ran again
}

TEST_CASE("the coroutine destroys each future when done with it, and a pending one with itself") {
    Counted::reset();
    {
        FakeHttp http({1, 1});
        Log log;
        const auto coroutine = ch03::async_main(http.getter(), log.printer());
        coroutine->poll(); // Wait1: the first future exists
        CHECK(Counted::alive() == 1);
        coroutine->poll(); // Wait2: the first was destroyed, the second exists
        CHECK(Counted::constructed() == 2);
        CHECK(Counted::alive() == 1);
        REQUIRE(coroutine->poll().is_ready());
        CHECK(Counted::alive() == 0);
    }
    CHECK(Counted::alive() == 0);
    CHECK(Counted::destroyed() == 2);

    Counted::reset();
    {
        FakeHttp http({5, 0});
        Log log;
        const auto coroutine = ch03::async_main(http.getter(), log.printer());
        coroutine->poll();
        CHECK(Counted::alive() == 1);
    } // destroyed while suspended at the first wait
    CHECK(Counted::constructed() == 1);
    CHECK(Counted::alive() == 0);
}

TEST_CASE("an error of the awaited future ends the coroutine") {
    Counted::reset();
    Log log;
    int gets = 0;
    ch03::Coroutine coroutine(
        [&gets](std::string) -> std::unique_ptr<ch03::Future<std::string>> {
            ++gets;
            return std::make_unique<ch03::test::FailingFuture<std::string>>(1, "no answer");
        },
        log.printer());
    CHECK_FALSE(coroutine.poll().is_ready());
    CHECK_THROWS_WITH_AS(coroutine.poll(), "no answer", std::runtime_error);
    CHECK(coroutine.state() == State::Resolved);
    CHECK(Counted::alive() == 0); // the failed future is gone
    CHECK_THROWS_AS(coroutine.poll(), std::logic_error);
    CHECK(gets == 1); // the code after the failed wait never ran
    CHECK(log.lines == std::vector<std::string>{"Program starting"});
}

TEST_CASE("the coroutine against the delay server prints the book's lines, with a handful of "
          "polls under block_on") {
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        common::DelayServer server;
        ch03::Runtime runtime;
        ch03::Http http(runtime.registry(), server.endpoint(), ch03::Announce::No);
        Log log;
        const auto coroutine = ch03::async_main(
            [&http](std::string path) { return http.get(std::move(path)); }, log.printer());
        const auto start = Clock::now();
        runtime.block_on(*coroutine, start + 20s);
        const auto elapsed = Clock::now() - start;

        CHECK(log.lines == std::vector<std::string>{"Program starting", "HelloWorld1",
                                                    "HelloWorld2", "Received 2 responses."});
        // The two waits come one after the other: at least 600 + 400 ms.
        CHECK(elapsed >= 1000ms);
        CHECK(elapsed < 10s);
        // Two requests, each answered with one or two events (data, then end of stream): a few
        // polls. A loop that spun for that second would poll millions of times.
        CHECK(runtime.polls() >= 3);
        CHECK(runtime.polls() <= 8);
        CHECK(server.answered() == 2);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}
