// Tests of the five-wait coroutine (the book's ch07/b-async-await): it walks Start, Wait1 ...
// Wait5, Resolved one wait at a time, starts each request only after the previous answer, frees
// each future when done with it, and against the server takes the sum of the delays.
#include "ch03-leaf-futures/src/five_waits.hpp"

#include "ch03-leaf-futures/src/http_get_future.hpp"
#include "ch03-leaf-futures/src/runtime.hpp"
#include "support.hpp"

#include <common/delay_server.hpp>
#include <common/http.hpp>
#include <common/test_support/counted.hpp>
#include <common/test_support/resources.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using State = ch03::FiveWaits::State;
using common::test::Counted;

namespace {

const ch03::FiveWaits::Paths kPaths = {"/0/A", "/0/B", "/0/C", "/0/D", "/0/E"};

// Hands out scripted futures, each not ready once, answering the path's message ("/0/C" -> "C").
struct FakeHttp {
    std::vector<std::string> paths;
    std::vector<int> polls = std::vector<int>(5, 0);

    ch03::Coroutine::HttpGet getter() {
        return [this](std::string path) -> std::unique_ptr<ch03::Future<std::string>> {
            const std::size_t k = paths.size();
            paths.push_back(path);
            return std::make_unique<ch03::test::ScriptedFuture<std::string>>(
                1, path.substr(path.rfind('/') + 1), polls.at(k));
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

TEST_CASE("the five-wait coroutine passes Wait1 to Wait5 in order, one request at a time") {
    Counted::reset();
    FakeHttp http;
    Log log;
    ch03::FiveWaits coroutine(kPaths, http.getter(), log.printer());
    CHECK(coroutine.state() == State::Start);
    CHECK(http.paths.empty()); // lazy: nothing before the first poll

    const State expected[] = {State::Wait1, State::Wait2, State::Wait3, State::Wait4, State::Wait5};
    const std::vector<std::string> answers = {"A", "B", "C", "D", "E"};
    for (std::size_t k = 0; k < 5; ++k) {
        // Each poll ends at the next wait: the k-th get was just started and is not ready.
        CHECK_FALSE(coroutine.poll().is_ready());
        CHECK(coroutine.state() == expected[k]);
        CHECK(http.paths.size() == k + 1); // the next request exists only after this answer
        CHECK(Counted::alive() == 1);      // the previous future is already gone
        CHECK(log.lines.size() == k + 1);  // "Program starting" and k answers
    }
    CHECK(coroutine.poll().is_ready());
    CHECK(coroutine.state() == State::Resolved);
    CHECK(Counted::alive() == 0);
    CHECK(Counted::destroyed() == 5);
    CHECK(http.paths == std::vector<std::string>(kPaths.begin(), kPaths.end()));
    CHECK(log.lines == std::vector<std::string>{"Program starting", "A", "B", "C", "D", "E"});
    for (const int polls : http.polls) {
        CHECK(polls == 2); // one not ready, one ready: no future is polled after it finished
    }
    CHECK_THROWS_WITH_AS(coroutine.poll(), "FiveWaits polled after completion", std::logic_error);
}

TEST_CASE("an error at the third wait ends the five-wait coroutine there") {
    Counted::reset();
    Log log;
    int gets = 0;
    int polls = 0;
    ch03::FiveWaits coroutine(
        kPaths,
        [&](std::string path) -> std::unique_ptr<ch03::Future<std::string>> {
            if (++gets == 3) {
                return std::make_unique<ch03::test::FailingFuture<std::string>>(0, "refused");
            }
            return std::make_unique<ch03::test::ScriptedFuture<std::string>>(0, path, polls);
        },
        log.printer());
    CHECK_THROWS_WITH_AS(coroutine.poll(), "refused", std::runtime_error);
    CHECK(coroutine.state() == State::Resolved);
    CHECK(gets == 3);
    CHECK(log.lines.size() == 3); // "Program starting" and the first two answers
    CHECK(Counted::alive() == 0);
}

TEST_CASE("against the delay server the five waits take the sum of the delays") {
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        common::DelayServer server;
        ch03::Runtime runtime;
        ch03::Http http(runtime.registry(), server.endpoint(), ch03::Announce::No);
        Log log;
        ch03::FiveWaits coroutine(
            {"/200/HelloWorld0", "/0/HelloWorld1", "/200/HelloWorld2", "/0/HelloWorld3",
             "/200/HelloWorld4"},
            [&http](std::string path) { return http.get(std::move(path)); }, log.printer());
        const auto start = Clock::now();
        runtime.block_on(coroutine, start + 20s);
        const auto elapsed = Clock::now() - start;
        CHECK(log.lines == std::vector<std::string>{"Program starting", "HelloWorld0",
                                                    "HelloWorld1", "HelloWorld2", "HelloWorld3",
                                                    "HelloWorld4"});
        CHECK(elapsed >= 600ms); // 200 + 0 + 200 + 0 + 200: the waits do not overlap
        CHECK(elapsed < 10s);
        CHECK(server.answered() == 5);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}
