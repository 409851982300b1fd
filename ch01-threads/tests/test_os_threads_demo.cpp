// Tests of the book's OS-thread program (src/os_threads_demo.hpp): its five lines come out in the
// book's order — and keep that order when the sleeps alone would scramble it.
#include "ch01-threads/src/os_threads_demo.hpp"

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

using namespace std::chrono_literals;

namespace {

const std::vector<std::string> kBookOrder = {
    "So, we start the program here!", "The tasks run concurrently!", "We can chain callbacks...",
    "...like this!", "The long running tasks finish last!"};

// The sink has no lock on purpose: the program promises that its lines are printed one after the
// other (each waits on a latch the previous one opened), so the pushes are ordered by
// happens-before. Were they not, ThreadSanitizer would report a data race on `lines`.
std::vector<std::string> run(const ch01::OsThreadsDelays& delays) {
    std::vector<std::string> lines;
    ch01::os_threads_demo([&](std::string_view line) { lines.emplace_back(line); }, delays);
    return lines;
}

} // namespace

TEST_CASE("the book's OS-thread program prints its five lines in the book's order") {
    CHECK(run({}) == kBookOrder);
}

TEST_CASE("the order holds even when the sleeps alone would reverse it") {
    // t1 wakes first and t3 last: without the hand-over on latches, "The long running tasks finish
    // last!" would come out first.
    CHECK(run({0ms, 30ms, 60ms}) == kBookOrder);
    // No sleeps at all: a free race between the three threads and main.
    CHECK(run({0ms, 0ms, 0ms}) == kBookOrder);
}
