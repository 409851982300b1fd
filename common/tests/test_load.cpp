// Tests of common/load.hpp: what load request i asks for and must get back, the thread-safe tally,
// and the exact `summary:` line (the benchmark driver parses it) with its exit status.
#include "common/load.hpp"

#include "common/test_support/capture.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

namespace {

std::string ok_response(std::string_view body) {
    return "HTTP/1.1 200 OK\r\ncontent-length: " + std::to_string(body.size()) +
           "\r\nconnection: close\r\n\r\n" + std::string(body);
}

bool contains(const std::string& text, std::string_view part) {
    return text.find(part) != std::string::npos;
}

common::Summary three_requests(std::size_t ok) {
    common::Summary s;
    s.chapter = "ch02";
    s.requests = 3;
    s.delay_ms = 10;
    s.ok = ok;
    s.elapsed_ms = 5;
    s.peak_rss_kib = 100;
    s.threads = 1;
    return s;
}

} // namespace

TEST_CASE("load_message and load_path name request i uniquely") {
    CHECK(common::load_message(0) == "load-0");
    CHECK(common::load_message(17) == "load-17");
    CHECK(common::load_path(1000, 17) == "/1000/load-17");
    CHECK(common::load_path(0, 3) == "/0/load-3");
    CHECK(common::load_message(1) != common::load_message(11));
}

TEST_CASE("LoadTally::check accepts the right body for the right request") {
    common::LoadTally tally;
    CHECK(tally.check(3, ok_response("load-3")));
    CHECK(tally.ok() == 1);
    CHECK(tally.failed() == 0);
    CHECK(tally.first_failure().empty());
}

TEST_CASE("LoadTally::check rejects another request's body and says which") {
    common::LoadTally tally;
    CHECK_FALSE(tally.check(3, ok_response("load-4")));
    CHECK(tally.ok() == 0);
    CHECK(tally.failed() == 1);
    const std::string cause = tally.first_failure();
    CHECK(contains(cause, "request 3"));
    CHECK(contains(cause, "load-4"));
    CHECK(contains(cause, "load-3"));
}

TEST_CASE("LoadTally::check rejects garbage, truncation and a non-200 status") {
    common::LoadTally tally;
    CHECK_FALSE(tally.check(1, std::string("\0\xff garbage", 10)));
    CHECK_FALSE(tally.check(2, ""));
    CHECK_FALSE(tally.check(3, "HTTP/1.1 200 OK\r\ncontent-length: 20\r\n\r\nload-3"));
    CHECK_FALSE(tally.check(4, "HTTP/1.1 500 Internal Server Error\r\n\r\nload-4"));
    CHECK(tally.ok() == 0);
    CHECK(tally.failed() == 4);
    CHECK(contains(tally.first_failure(), "request 1"));
}

TEST_CASE("LoadTally keeps the first failure, not the latest") {
    common::LoadTally tally;
    tally.succeed();
    tally.fail(5, "first cause");
    tally.fail(6, "second cause");
    CHECK(tally.ok() == 1);
    CHECK(tally.failed() == 2);
    CHECK(contains(tally.first_failure(), "first cause"));
    CHECK(contains(tally.first_failure(), "5"));
    CHECK_FALSE(contains(tally.first_failure(), "second"));
}

TEST_CASE("LoadTally counts correctly from many threads at once") {
    common::LoadTally tally;
    constexpr int kThreads = 4;
    constexpr int kEach = 500;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&tally, t] {
            for (int i = 0; i < kEach; ++i) {
                const auto n = static_cast<std::size_t>(t * kEach + i);
                if (i % 5 == 0) {
                    tally.fail(n, "planned");
                } else {
                    tally.check(n, ok_response(common::load_message(n)));
                }
            }
        });
    }
    for (auto& th : threads) {
        th.join();
    }
    CHECK(tally.failed() == kThreads * kEach / 5);
    CHECK(tally.ok() == kThreads * kEach - kThreads * kEach / 5);
    CHECK(contains(tally.first_failure(), "planned"));
}

TEST_CASE("format_summary prints the exact summary line") {
    CHECK(common::format_summary(three_requests(3)) ==
          "summary: chapter=ch02 requests=3 delay_ms=10 ok=3 elapsed_ms=5 peak_rss_kib=100 "
          "threads=1");
}

TEST_CASE("format_summary appends extra pairs in order as key=value") {
    auto s = three_requests(3);
    s.extra = {{"polls", "12"}, {"executors", "4"}};
    CHECK(common::format_summary(s) ==
          "summary: chapter=ch02 requests=3 delay_ms=10 ok=3 elapsed_ms=5 peak_rss_kib=100 "
          "threads=1 polls=12 executors=4");
}

TEST_CASE("finish_load prints only the summary and returns 0 when every request succeeded") {
    common::LoadTally tally;
    common::test::CapturedOutput out(STDOUT_FILENO);
    common::test::CapturedOutput err(STDERR_FILENO);
    const int status = common::finish_load(three_requests(3), tally);
    const std::string err_text = err.finish();
    const std::string out_text = out.finish();
    CHECK(status == 0);
    CHECK(out_text == common::format_summary(three_requests(3)) + "\n");
    CHECK(err_text.empty());
}

TEST_CASE("finish_load prints the summary and an error line and returns 1 when some failed") {
    common::LoadTally tally;
    tally.succeed();
    tally.succeed();
    tally.fail(2, "read 127.0.0.1:1: timed out");
    common::test::CapturedOutput out(STDOUT_FILENO);
    common::test::CapturedOutput err(STDERR_FILENO);
    const int status = common::finish_load(three_requests(2), tally);
    const std::string err_text = err.finish();
    const std::string out_text = out.finish();
    CHECK(status == 1);
    CHECK(out_text == common::format_summary(three_requests(2)) + "\n"); // stdout: one line
    CAPTURE(err_text);
    CHECK(contains(err_text, "error: load: 1 of 3 failed: "));
    CHECK(contains(err_text, "timed out"));
    CHECK(std::count(err_text.begin(), err_text.end(), '\n') == 1);
}

TEST_CASE("finish_load fails even when nothing recorded a cause") {
    common::LoadTally tally;
    common::test::CapturedOutput out(STDOUT_FILENO);
    common::test::CapturedOutput err(STDERR_FILENO);
    const int status = common::finish_load(three_requests(0), tally);
    const std::string err_text = err.finish();
    out.finish();
    CHECK(status == 1);
    CHECK(contains(err_text, "error: load: 3 of 3 failed"));
}
