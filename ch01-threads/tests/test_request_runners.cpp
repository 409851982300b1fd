// Tests of the two ways ch01 makes a list of requests (src/request_runners.hpp): one after another
// (time = the sum of the delays) and one std::thread each (time = the largest delay), with every
// answer checked, failures carried out of the threads (a thread that cannot be created included),
// and nothing left open.
#include "ch01-threads/src/request_runners.hpp"

#include <common/delay_server.hpp>
#include <common/http.hpp>
#include <common/test_support/resources.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include <pthread.h>

using namespace std::chrono_literals;

namespace {

std::vector<ch01::Request> requests_with_delays(std::initializer_list<long> delays) {
    std::vector<ch01::Request> requests;
    for (const long delay : delays) {
        requests.push_back({delay, "request-" + std::to_string(requests.size())});
    }
    return requests;
}

// Every request has exactly one answer, and it is that request's own message.
void check_each_got_its_own_answer(const ch01::RunReport& report,
                                   const std::vector<ch01::Request>& requests) {
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

TEST_CASE("one after another, the total time is at least the sum of the delays") {
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        common::DelayServer server;
        const auto requests = requests_with_delays({200, 150, 100, 50});
        const ch01::RunReport report = ch01::fetch_sequentially(server.endpoint(), requests, 5s);
        check_each_got_its_own_answer(report, requests);
        // Sequential: the answers come in the order of the requests, whatever their delays.
        for (std::size_t i = 0; i < report.answers.size(); ++i) {
            CHECK(report.answers[i].index == i);
        }
        CHECK(report.elapsed >= 500ms);
        CHECK(report.threads_created == 0);
        CHECK(report.peak_threads == 1);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("one thread each, the total time is at least the longest delay and below the sum") {
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        common::DelayServer server;
        const auto requests = requests_with_delays({400, 300, 200, 100});
        const ch01::RunReport report = ch01::fetch_with_threads(server.endpoint(), requests, 5s);
        check_each_got_its_own_answer(report, requests);
        CHECK(report.elapsed >= 400ms);
        CHECK(report.elapsed < 1000ms); // the sum: only reachable if the waits did not overlap
        CHECK(report.threads_created == requests.size());
        CHECK(report.peak_threads >= 2);
        CHECK(report.peak_threads <= static_cast<int>(requests.size()) + 1);
        // An answer cannot arrive before its own delay has passed.
        for (const ch01::Answer& answer : report.answers) {
            CHECK(answer.after >= std::chrono::milliseconds(requests[answer.index].delay_ms));
        }
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("three hundred threads at once each get their own answer") {
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        common::DelayServer server;
        std::vector<ch01::Request> requests;
        for (int i = 0; i < 300; ++i) {
            requests.push_back({300, "many-" + std::to_string(i)});
        }
        const ch01::RunReport report = ch01::fetch_with_threads(server.endpoint(), requests, 30s);
        check_each_got_its_own_answer(report, requests);
        CHECK(report.threads_created == 300);
        CHECK(report.elapsed >= 300ms);
        // One after another would take 90 s; overlapping waits take about one delay. The bound is
        // loose on purpose (sanitizers, two shared cores) but far below sequential.
        CHECK(report.elapsed < 15s);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("the callback sees each answer once, in the order they are recorded") {
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        common::DelayServer server;
        const auto requests = requests_with_delays({300, 200, 100, 0});
        std::vector<std::size_t> called; // appended under the runner's lock, read after the join
        const ch01::RunReport report = ch01::fetch_with_threads(
            server.endpoint(), requests, 5s,
            [&](const ch01::Answer& answer) { called.push_back(answer.index); });
        REQUIRE(called.size() == report.answers.size());
        for (std::size_t i = 0; i < called.size(); ++i) {
            CHECK(called[i] == report.answers[i].index);
        }
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("a failing request in one thread does not stop the others, and its exception comes out") {
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        common::DelayServer server;
        std::vector<ch01::Request> requests = requests_with_delays({100, 50, 100});
        requests[1].delay_ms = -1; // "/-1/...": the delay server answers 400
        const ch01::RunReport report = ch01::fetch_with_threads(server.endpoint(), requests, 5s);
        REQUIRE(report.answers.size() == 3);
        for (const ch01::Answer& answer : report.answers) {
            CHECK(answer.ok() == (answer.index != 1));
            if (answer.ok()) {
                CHECK(answer.body == requests[answer.index].message);
            }
        }
        CHECK_THROWS_AS(report.rethrow_first_error(), common::HttpError);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("a refused connection comes out of the threads as the original std::system_error") {
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        const common::test::RefusedPort refused;
        const auto requests = requests_with_delays({10, 10});
        const ch01::RunReport report = ch01::fetch_with_threads(refused.endpoint(), requests, 5s);
        REQUIRE(report.answers.size() == 2);
        bool thrown = false;
        try {
            report.rethrow_first_error();
        } catch (const std::system_error& e) {
            thrown = true;
            CHECK(e.code() == std::error_code(ECONNREFUSED, std::system_category()));
            CHECK(std::string(e.what()).find("connect " + refused.endpoint().to_string()) !=
                  std::string::npos);
        }
        CHECK(thrown);
        // Sequentially the same failure is simply thrown by the call.
        CHECK_THROWS_AS(ch01::fetch_sequentially(refused.endpoint(), requests, 5s),
                        std::system_error);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("a callback that throws turns a good answer into a failure without a body") {
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        common::DelayServer server;
        const auto requests = requests_with_delays({0, 0});
        const ch01::RunReport report = ch01::fetch_with_threads(
            server.endpoint(), requests, 5s, [](const ch01::Answer& answer) {
                if (answer.index == 0) {
                    throw std::runtime_error("the callback failed");
                }
            });
        REQUIRE(report.answers.size() == 2);
        for (const ch01::Answer& answer : report.answers) {
            CHECK(answer.ok() == (answer.index == 1));
            // Answer's promise: the checked body of a 200 answer, empty on failure.
            CHECK(answer.body == (answer.ok() ? requests[answer.index].message : ""));
        }
        CHECK_THROWS_WITH_AS(report.rethrow_first_error(), "the callback failed",
                             std::runtime_error);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("a thread that cannot be created is an error that names its request") {
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        const common::test::RefusedPort refused;
        const auto requests = requests_with_delays({10, 10});
        // std::jthread takes the process's default thread attributes. A default stack of 128 TiB
        // (the whole user address space of x86-64) cannot be mapped, so thread creation fails with
        // EAGAIN — the error a real thread limit gives — without touching any real limit.
        pthread_attr_t saved;
        REQUIRE(pthread_getattr_default_np(&saved) == 0);
        pthread_attr_t huge;
        REQUIRE(pthread_getattr_default_np(&huge) == 0);
        REQUIRE(pthread_attr_setstacksize(&huge, std::size_t{1} << 47) == 0);
        REQUIRE(pthread_setattr_default_np(&huge) == 0);
        std::string what;
        std::error_code code;
        try {
            ch01::fetch_with_threads(refused.endpoint(), requests, 5s);
        } catch (const std::system_error& e) {
            what = e.what();
            code = e.code();
        }
        REQUIRE(pthread_setattr_default_np(&saved) == 0);
        pthread_attr_destroy(&huge);
        pthread_attr_destroy(&saved);

        CHECK(what == "thread for request 0: Resource temporarily unavailable");
        CHECK(code == std::errc::resource_unavailable_try_again); // the original code, kept
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}
