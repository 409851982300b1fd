// Tests of exercise ch01/01 (README.md says what each checks): the pool makes every request, takes
// about ceil(N / K) rounds of the delay, never runs more than K threads, carries failures out of
// its threads, and leaves no descriptor open.
#include "thread_pool.hpp"

#include <common/delay_server.hpp>
#include <common/test_support/resources.hpp>
#include <common/test_support/watchdog.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

std::vector<ch01::Request> same_delay(std::size_t n, long delay_ms) {
    std::vector<ch01::Request> requests;
    for (std::size_t i = 0; i < n; ++i) {
        requests.push_back({delay_ms, "pool-" + std::to_string(i)});
    }
    return requests;
}

// One answer per request, each with its own message.
void check_answers(const ch01::RunReport& report, const std::vector<ch01::Request>& requests) {
    REQUIRE(report.answers.size() == requests.size());
    std::vector<bool> seen(requests.size(), false);
    for (const ch01::Answer& answer : report.answers) {
        REQUIRE(answer.index < requests.size());
        CHECK_FALSE(seen[answer.index]);
        seen[answer.index] = true;
        CHECK(answer.ok());
        CHECK(answer.body == requests[answer.index].message);
    }
}

} // namespace

TEST_CASE("8 requests of 200 ms on 2 workers take about 4 rounds, with 2 threads") {
    common::test::Watchdog watchdog;
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        common::DelayServer server;
        const auto requests = same_delay(8, 200);
        const ch01::RunReport report =
            ch01::exercise::fetch_with_pool(server.endpoint(), requests, 2, 5s);
        check_answers(report, requests);
        // ceil(8 / 2) = 4 rounds of 200 ms: never less, and well below the sequential 1,600 ms.
        CHECK(report.elapsed >= 800ms);
        CHECK(report.elapsed < 1500ms);
        CHECK(report.threads_created == 2);
        CHECK(report.peak_threads >= 2);
        CHECK(report.peak_threads <= 3); // two workers plus the calling thread
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("more workers than requests start one thread per request, no more") {
    common::test::Watchdog watchdog;
    common::DelayServer server;
    const auto requests = same_delay(3, 200);
    const ch01::RunReport report =
        ch01::exercise::fetch_with_pool(server.endpoint(), requests, 10, 5s);
    check_answers(report, requests);
    CHECK(report.threads_created == 3);
    CHECK(report.peak_threads <= 4);
    CHECK(report.elapsed >= 200ms);
    CHECK(report.elapsed < 550ms); // one round, not three
}

TEST_CASE("a failing request is carried in its answer and the others still complete") {
    common::test::Watchdog watchdog;
    common::DelayServer server;
    auto requests = same_delay(4, 50);
    requests[2].delay_ms = common::kMaxDelayMs + 1; // the server answers 400: http_get throws
    const ch01::RunReport report =
        ch01::exercise::fetch_with_pool(server.endpoint(), requests, 2, 5s);
    REQUIRE(report.answers.size() == requests.size());
    for (const ch01::Answer& answer : report.answers) {
        if (answer.index == 2) {
            CHECK_FALSE(answer.ok());
        } else {
            CHECK(answer.ok());
            CHECK(answer.body == requests[answer.index].message);
        }
    }
}

TEST_CASE("a pool of zero workers is refused") {
    common::DelayServer server;
    const auto requests = same_delay(1, 10);
    CHECK_THROWS_AS(ch01::exercise::fetch_with_pool(server.endpoint(), requests, 0, 1s),
                    std::invalid_argument);
}
