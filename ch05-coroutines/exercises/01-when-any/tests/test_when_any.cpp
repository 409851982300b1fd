// Tests of exercise ch05/01 (README.md says what each checks): the first task to finish wins, the
// losers' frames are destroyed before when_any returns (counted), their sockets deregistered, an
// error ends the race, an empty list is refused. Every await is bounded by with_timeout.
#include "when_any.hpp"

#include "ch05-coroutines/src/awaitables.hpp"
#include "ch05-coroutines/src/runtime.hpp"
#include "ch05-coroutines/src/spawn.hpp"

#include <common/delay_server.hpp>
#include <common/http.hpp>
#include <common/test_support/counted.hpp>
#include <common/test_support/resources.hpp>
#include <common/test_support/watchdog.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using common::test::Counted;

namespace {

// A request whose frame holds a Counted: destroying the frame is visible.
ch05::Task<std::string> fetch(long delay_ms, std::string message) {
    const Counted in_frame;
    co_return co_await ch05::http_get(common::delay_path(delay_ms, message));
}

ch05::Task<std::string> fail_after(std::chrono::milliseconds delay) {
    const Counted in_frame;
    co_await ch05::sleep_for(delay);
    throw std::runtime_error("child failed");
}

ch05::Task<std::string> at_once(std::string value) {
    co_return value;
}

struct Seen {
    std::size_t index = 99;
    std::string value;
    int alive_after = -1;
    std::size_t registrations_after = 99;
    std::string error;
};

ch05::Task<void> race(std::vector<ch05::Task<std::string>> tasks, Seen* seen) {
    try {
        auto result = co_await ch05::with_timeout(ch05::exercise::when_any(std::move(tasks)),
                                                  2000ms, "when_any");
        seen->index = result.index;
        seen->value = result.value;
    } catch (const std::exception& e) {
        seen->error = e.what();
    }
    seen->alive_after = Counted::alive();
    seen->registrations_after = ch05::Runtime::current().reactor().registrations();
}

} // namespace

TEST_CASE("the first of three requests wins and the losers are destroyed before when_any returns") {
    common::test::Watchdog watchdog;
    const std::size_t baseline = common::test::open_descriptor_count();
    Counted::reset();
    {
        common::DelayServer server;
        ch05::Runtime runtime(server.endpoint());
        std::vector<ch05::Task<std::string>> tasks;
        tasks.push_back(fetch(1500, "a"));
        tasks.push_back(fetch(100, "b"));
        tasks.push_back(fetch(1000, "c"));
        Seen seen;
        const auto start = Clock::now();
        ch05::block_on(race(std::move(tasks), &seen));
        CHECK(seen.error == "");
        CHECK(seen.index == 1);
        CHECK(seen.value == "b");
        CHECK(Clock::now() - start >= 100ms);
        CHECK(Clock::now() - start < 900ms);
        CHECK(Counted::constructed() == 3);
        CHECK(seen.alive_after == 0);         // every frame gone, the losers' included
        CHECK(seen.registrations_after == 0); // and with them their sockets
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE(
    "a task that fails first ends the race with its exception, and the others are destroyed") {
    common::test::Watchdog watchdog;
    Counted::reset();
    common::DelayServer server;
    ch05::Runtime runtime(server.endpoint());
    std::vector<ch05::Task<std::string>> tasks;
    tasks.push_back(fetch(1500, "slow"));
    tasks.push_back(fail_after(50ms));
    Seen seen;
    ch05::block_on(race(std::move(tasks), &seen));
    CHECK(seen.error == "child failed");
    CHECK(seen.alive_after == 0);
    CHECK(seen.registrations_after == 0);
}

TEST_CASE("when two tasks finish in the same round the lower index wins") {
    common::test::Watchdog watchdog;
    common::DelayServer server;
    ch05::Runtime runtime(server.endpoint());
    std::vector<ch05::Task<std::string>> tasks;
    tasks.push_back(at_once("zero"));
    tasks.push_back(at_once("one"));
    Seen seen;
    ch05::block_on(race(std::move(tasks), &seen));
    CHECK(seen.index == 0);
    CHECK(seen.value == "zero");
}

TEST_CASE("an empty list of tasks is refused") {
    CHECK_THROWS_AS((void)ch05::exercise::when_any(std::vector<ch05::Task<std::string>>{}),
                    std::invalid_argument);
}
