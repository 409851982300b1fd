// Tests of exercise ch03/02 (README.md says what each checks): the first ready child wins, the
// loser is destroyed at once (counted), the order breaks ties, errors pass through, and with real
// requests the select finishes with the faster one and closes the slower one's socket.
#include "select.hpp"

#include "ch03-leaf-futures/src/http_get_future.hpp"
#include "ch03-leaf-futures/src/runtime.hpp"

#include <common/delay_server.hpp>
#include <common/http.hpp>
#include <common/test_support/counted.hpp>
#include <common/test_support/resources.hpp>
#include <common/test_support/watchdog.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using common::test::Counted;

namespace {

// Ready with `value` on its (not_ready_polls + 1)-th poll; throws instead when `fail` is set.
// Holds a Counted, so a test sees when it is destroyed; counts its polls in `polls`.
class Scripted final : public ch03::Future<int> {
public:
    Scripted(int not_ready_polls, int value, int& polls, bool fail = false)
        : remaining_(not_ready_polls), value_(value), polls_(polls), fail_(fail) {}
    ch03::PollState<int> poll() override {
        ++polls_;
        if (remaining_ > 0) {
            --remaining_;
            return ch03::not_ready;
        }
        if (fail_) {
            throw std::runtime_error("scripted failure");
        }
        return ch03::ready(value_);
    }

private:
    int remaining_;
    int value_;
    int& polls_;
    bool fail_;
    Counted counted_;
};

// Polls by hand, at most `limit` times, until ready.
template <typename F>
auto poll_until_ready(F& future, int limit) {
    for (int i = 0; i < limit; ++i) {
        auto state = future.poll();
        if (state.is_ready()) {
            return std::move(state).value();
        }
    }
    FAIL("not ready after " << limit << " polls");
    throw std::logic_error("unreachable");
}

} // namespace

TEST_CASE("the child that is ready first wins and the loser is destroyed at once") {
    Counted::reset();
    int polls_a = 0;
    int polls_b = 0;
    auto select = ch03::exercise::select<int>(std::make_unique<Scripted>(5, 1, polls_a),
                                              std::make_unique<Scripted>(2, 2, polls_b));
    CHECK(Counted::alive() == 2);
    const ch03::exercise::Selected<int> result = poll_until_ready(*select, 10);
    CHECK(result.winner == 1);
    CHECK(result.value == 2);
    CHECK(polls_b == 3);
    CHECK(polls_a == 3);
    CHECK(Counted::alive() == 0); // both gone while the select object still exists
    CHECK_THROWS_AS(select->poll(), std::logic_error);
}

TEST_CASE("when both are ready on the same poll the first wins and the second is not polled") {
    Counted::reset();
    int polls_a = 0;
    int polls_b = 0;
    auto select = ch03::exercise::select<int>(std::make_unique<Scripted>(1, 10, polls_a),
                                              std::make_unique<Scripted>(1, 20, polls_b));
    const ch03::exercise::Selected<int> result = poll_until_ready(*select, 10);
    CHECK(result.winner == 0);
    CHECK(result.value == 10);
    CHECK(polls_a == 2);
    CHECK(polls_b == 1);
    CHECK(Counted::alive() == 0);
}

TEST_CASE("a child's exception ends the select and destroys both children") {
    Counted::reset();
    int polls_a = 0;
    int polls_b = 0;
    auto select = ch03::exercise::select<int>(std::make_unique<Scripted>(3, 1, polls_a),
                                              std::make_unique<Scripted>(1, 2, polls_b, true));
    CHECK_FALSE(select->poll().is_ready());
    CHECK_THROWS_WITH(select->poll(), "scripted failure");
    CHECK(Counted::alive() == 0);
    CHECK_THROWS_AS(select->poll(), std::logic_error);
}

TEST_CASE("a null child is refused") {
    int polls = 0;
    CHECK_THROWS_AS(ch03::exercise::select<int>(std::make_unique<Scripted>(0, 1, polls), nullptr),
                    std::invalid_argument);
}

TEST_CASE("two requests: the 100 ms one wins, the 3 s one's socket is closed at once") {
    common::test::Watchdog watchdog;
    common::DelayServer server;
    ch03::Runtime runtime;
    const std::size_t baseline = common::test::open_descriptor_count();
    ch03::Http http(runtime.registry(), server.endpoint(), ch03::Announce::No);
    auto select = ch03::exercise::select<std::string>(http.get(common::delay_path(3000, "slow")),
                                                      http.get(common::delay_path(100, "fast")));
    const auto start = Clock::now();
    const ch03::exercise::Selected<std::string> result =
        runtime.block_on(*select, Clock::now() + 2s);
    CHECK(result.winner == 1);
    CHECK(result.value == "fast");
    CHECK(Clock::now() - start >= 100ms);
    CHECK(Clock::now() - start < 1500ms);
    // The select still exists, and the slow request's socket is closed already. The in-process
    // server holds the other end of each connection: open, the client's socket would make the
    // count baseline + 2; closed, at most the server's end is left (+1) until the server sees the
    // close, which the bounded wait below allows for.
    CHECK(common::test::open_descriptor_count() <= baseline + 1);
    const auto wait_end = Clock::now() + 2s;
    while (common::test::open_descriptor_count() != baseline && Clock::now() < wait_end) {
        std::this_thread::sleep_for(5ms); // polling a count, bounded: not a wait for readiness
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}
