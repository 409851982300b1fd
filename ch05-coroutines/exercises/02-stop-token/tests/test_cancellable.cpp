// Tests of exercise ch05/02 (README.md says what each checks): a stop requested by another task or
// another thread ends a suspended http_get with Cancelled at once, its socket closed; a stop
// before the first poll never connects; without a stop the body arrives.
#include "cancellable.hpp"

#include "ch05-coroutines/src/awaitables.hpp"
#include "ch05-coroutines/src/runtime.hpp"
#include "ch05-coroutines/src/spawn.hpp"

#include <common/delay_server.hpp>
#include <common/http.hpp>
#include <common/test_support/resources.hpp>
#include <common/test_support/watchdog.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <stop_token>
#include <string>
#include <thread>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

struct Seen {
    std::string body;
    bool cancelled = false;
    std::string other_error;
    std::size_t registrations_after = 99;
};

ch05::Task<void> get(std::string path, std::stop_token token, Seen* seen) {
    try {
        seen->body = co_await ch05::exercise::http_get(path, token);
    } catch (const ch05::exercise::Cancelled&) {
        seen->cancelled = true;
    } catch (const std::exception& e) {
        seen->other_error = e.what();
    }
    seen->registrations_after = ch05::Runtime::current().reactor().registrations();
}

ch05::Task<void> stop_after(std::chrono::milliseconds delay, std::stop_source* source) {
    co_await ch05::sleep_for(delay);
    source->request_stop();
}

ch05::Task<void> get_and_stop(std::stop_source* source, Seen* seen) {
    ch05::spawn(stop_after(100ms, source));
    co_await get(common::delay_path(3000, "too late"), source->get_token(), seen);
}

} // namespace

TEST_CASE("a stop requested by another task ends a waiting http_get with Cancelled at once") {
    common::test::Watchdog watchdog;
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        common::DelayServer server;
        ch05::Runtime runtime(server.endpoint());
        std::stop_source source;
        Seen seen;
        const auto start = Clock::now();
        ch05::block_on(get_and_stop(&source, &seen));
        const auto took = Clock::now() - start;
        CHECK(seen.cancelled);
        CHECK(seen.other_error == "");
        CHECK(seen.body == "");
        CHECK(took >= 100ms);
        CHECK(took < 1500ms);                 // not the 3 s of the request
        CHECK(seen.registrations_after == 0); // the socket is deregistered
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("a stop requested from another thread wakes the suspended task") {
    common::test::Watchdog watchdog;
    common::DelayServer server;
    ch05::Runtime runtime(server.endpoint());
    std::stop_source source;
    Seen seen;
    const auto start = Clock::now();
    std::jthread stopper([&source] {
        // Not a wait for readiness: the stop may come at any moment, early or late, and the test
        // holds either way. 100 ms makes it come, most likely, while the task is suspended.
        std::this_thread::sleep_for(100ms);
        source.request_stop();
    });
    ch05::block_on(get(common::delay_path(3000, "too late"), source.get_token(), &seen));
    CHECK(seen.cancelled);
    CHECK(Clock::now() - start < 1500ms);
    CHECK(seen.registrations_after == 0);
}

TEST_CASE("a stop requested before the first poll ends it without waiting for the server") {
    common::test::Watchdog watchdog;
    common::DelayServer server;
    ch05::Runtime runtime(server.endpoint());
    std::stop_source source;
    source.request_stop();
    Seen seen;
    const auto start = Clock::now();
    ch05::block_on(get(common::delay_path(1000, "never"), source.get_token(), &seen));
    CHECK(seen.cancelled);
    CHECK(Clock::now() - start < 500ms);
}

TEST_CASE("without a stop the body arrives, and a later stop changes nothing") {
    common::test::Watchdog watchdog;
    common::DelayServer server;
    ch05::Runtime runtime(server.endpoint());
    std::stop_source source;
    Seen seen;
    ch05::block_on(get(common::delay_path(50, "in time"), source.get_token(), &seen));
    source.request_stop();
    CHECK(seen.body == "in time");
    CHECK_FALSE(seen.cancelled);
    CHECK(seen.registrations_after == 0);
}
