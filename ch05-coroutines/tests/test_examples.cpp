// Tests of the example programs in examples/ (the book's ch07/a-coroutine-bonus,
// ch10/a-rust-futures-bonus and, where asio is installed, ch10/b-rust-futures-experiments), run as
// child processes against their embedded delay server: the lines each prints, in order, and the
// exit status; a silent or refusing server ends in one `error:` line and exit status 1.
#include <common/test_support/child_process.hpp>
#include <common/test_support/misbehaving_server.hpp>
#include <common/test_support/resources.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace {

using common::test::contains;
using common::test::count_lines;
using common::test::lines_of;
using Lines = std::vector<std::string>;

// The position of the first line equal to `line` at or after `from` (lines.size() if none).
std::size_t find_line(const Lines& lines, const std::string& line, std::size_t from = 0) {
    const auto it = std::find(lines.begin() + static_cast<std::ptrdiff_t>(from), lines.end(), line);
    return static_cast<std::size_t>(it - lines.begin());
}

// How many lines equal to `line` lie in [from, to).
std::size_t count_between(const Lines& lines, const std::string& line, std::size_t from,
                          std::size_t to) {
    return static_cast<std::size_t>(std::count(lines.begin() + static_cast<std::ptrdiff_t>(from),
                                               lines.begin() + static_cast<std::ptrdiff_t>(to),
                                               line));
}

} // namespace

TEST_CASE("ch05-coroutine-bonus: the coroutine under the busy-polling loop polls for nothing "
          "until each answer is in") {
    const auto baseline = common::test::open_descriptor_count();
    const auto run =
        common::test::run_child(CH05_COROUTINE_BONUS_PATH, {}, std::chrono::seconds(30));
    INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
    CHECK(run.status == 0);
    CHECK(run.err.empty());
    const Lines lines = lines_of(run.out);
    const std::size_t start = find_line(lines, "Program starting");
    const std::size_t first_poll = find_line(lines, "FIRST POLL - START OPERATION", start);
    const std::size_t first = find_line(lines, "HelloAsyncAwait1", first_poll);
    const std::size_t second_poll = find_line(lines, "FIRST POLL - START OPERATION", first);
    const std::size_t second = find_line(lines, "HelloAsyncAwait2", second_poll);
    REQUIRE(second < lines.size()); // every line above exists, in this order
    // Each turn of the loop takes at least 100 ms, and the answers take 600 and 400 ms: at least
    // six and four polls come back not ready (the waker does nothing to bring the answer sooner).
    CHECK(count_between(lines, "Schedule other tasks", first_poll, first) >= 5);
    CHECK(count_between(lines, "Schedule other tasks", second_poll, second) >= 3);
    CHECK(lines.back() == "HelloAsyncAwait2");
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("ch05-coroutine-bonus against a server that never answers ends with 'timed out'") {
    common::test::MisbehavingServer server(common::test::Misbehavior::Silent);
    const auto run =
        common::test::run_child(CH05_COROUTINE_BONUS_PATH,
                                {"--server", server.endpoint().to_string(), "--timeout-ms", "300"},
                                std::chrono::seconds(30));
    CHECK(run.status == 1);
    CHECK(run.err == "error: busy polling: timed out\n");
}

TEST_CASE("ch05-rust-futures-bonus: a reference into the frame survives both co_awaits, and the "
          "join over references runs both children at once") {
    const auto baseline = common::test::open_descriptor_count();
    const auto run =
        common::test::run_child(CH05_RUST_FUTURES_BONUS_PATH, {}, std::chrono::seconds(30));
    INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
    CHECK(run.status == 0);
    CHECK(run.err.empty());
    const Lines lines = lines_of(run.out);
    // Part 1: both answers written through `writer` land in `buffer`.
    const std::size_t buffer1 = find_line(lines, "BUFFER:");
    REQUIRE(buffer1 + 3 < lines.size());
    CHECK(lines[buffer1 + 1] == "----");
    CHECK(lines[buffer1 + 2] == "HelloAsyncAwait");
    CHECK(lines[buffer1 + 3] == "HelloAsyncAwait");
    // Part 2: both requests start before the task first sleeps, and the answers are written in
    // the order they arrived (400 ms before 600 ms).
    const std::size_t part2 = find_line(lines, "Program starting", buffer1);
    const std::size_t sleep =
        find_line(lines, "main: 1 pending tasks. Sleep until notified.", part2);
    CHECK(count_between(lines, "FIRST POLL - START OPERATION", part2, sleep) == 2);
    const std::size_t buffer2 = find_line(lines, "BUFFER:", part2);
    REQUIRE(buffer2 + 3 < lines.size());
    CHECK(lines[buffer2 + 2] == "HelloJoin2");
    CHECK(lines[buffer2 + 3] == "HelloJoin1");
    CHECK(lines.back() == "main: All tasks are finished");
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("ch05-rust-futures-bonus against a refused port prints the connect error") {
    const common::test::RefusedPort refused;
    const auto run = common::test::run_child(CH05_RUST_FUTURES_BONUS_PATH,
                                             {"--server", refused.endpoint().to_string()},
                                             std::chrono::seconds(30));
    CHECK(run.status == 1);
    CHECK(run.err == "error: connect " + refused.endpoint().to_string() + ": Connection refused\n");
}

#ifdef CH05_RUST_FUTURES_EXPERIMENTS_PATH

TEST_CASE("ch05-rust-futures-experiments: asio awaited as it is is refused, through the bridge it "
          "completes with our Waker") {
    const auto baseline = common::test::open_descriptor_count();
    // The answers take 1.1 s in all. A bridge that stores the answer but never wakes the task is
    // still polled once the 5 s deadline's timer wakes it (with_timeout polls the GET before its
    // timer, so it then finds the answer): 5 s per GET in a row, 15 s at least. The bound between
    // the two is generous for a busy machine and still catches that.
    const auto started = std::chrono::steady_clock::now();
    const auto run = common::test::run_child(CH05_RUST_FUTURES_EXPERIMENTS_PATH,
                                             {"--timeout-ms", "5000"}, std::chrono::seconds(30));
    const auto elapsed = std::chrono::steady_clock::now() - started;
    INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
    CHECK(run.status == 0);
    CHECK(elapsed < std::chrono::seconds(10));
    CHECK(run.err.empty());
    const Lines lines = lines_of(run.out);
    CHECK(count_lines(lines, "refused: ch05: a coroutine suspended without arranging a wake-up "
                             "(co_await only Tasks and ch05 awaitables)") == 1);
    CHECK_FALSE(contains(run.out, "not reached"));
    // Part 2: two asio GETs in a row.
    const std::size_t start = find_line(lines, "Program starting");
    const std::size_t first = find_line(lines, "HelloAsyncAwait1", start);
    const std::size_t second = find_line(lines, "HelloAsyncAwait2", first);
    CHECK(second < lines.size());
    // Part 3: ten spawned asio GETs, each answered once (1 and 2 also appear in part 2).
    for (int i = 0; i < 10; ++i) {
        const std::size_t expected = (i == 1 || i == 2) ? 2 : 1;
        CHECK(count_lines(lines, "HelloAsyncAwait" + std::to_string(i)) == expected);
    }
    CHECK(lines.back() == "main: All tasks are finished");
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("ch05-rust-futures-experiments against a silent server: the deadline drops (cancels) "
          "the asio operation") {
    common::test::MisbehavingServer server(common::test::Misbehavior::Silent);
    const auto run =
        common::test::run_child(CH05_RUST_FUTURES_EXPERIMENTS_PATH,
                                {"--server", server.endpoint().to_string(), "--timeout-ms", "300"},
                                std::chrono::seconds(30));
    CHECK(run.status == 1);
    CHECK(run.err == "error: GET /600/HelloAsyncAwait1: timed out\n");
}

TEST_CASE("ch05-rust-futures-experiments against a refused port prints asio's connect error") {
    const common::test::RefusedPort refused;
    const auto run = common::test::run_child(CH05_RUST_FUTURES_EXPERIMENTS_PATH,
                                             {"--server", refused.endpoint().to_string()},
                                             std::chrono::seconds(30));
    CHECK(run.status == 1);
    CHECK(run.err == "error: connect " + refused.endpoint().to_string() + ": Connection refused\n");
}

#endif
