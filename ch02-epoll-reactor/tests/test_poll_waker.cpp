// Tests of poll_waker.hpp: another thread can wake a thread blocked in Poll::poll, wakes that come
// before the wait are not lost, and wakes from many threads at once are safe (run under TSan).
#include "ch02-epoll-reactor/src/poll_waker.hpp"

#include "support.hpp"

#include <common/test_support/resources.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using ch02::Events;
using ch02::Poll;
using ch02::PollWaker;
using ch02::Token;
using Clock = std::chrono::steady_clock;

namespace {

constexpr Token kWakeToken{1'000'000}; // reserved by the test, as a reactor would reserve one

std::vector<std::uint64_t> tokens_of(const Events& events) {
    std::vector<std::uint64_t> tokens;
    for (const ch02::Event event : events) {
        tokens.push_back(event.token().value);
    }
    return tokens;
}

} // namespace

TEST_CASE("a wake from another thread interrupts a blocked poll long before its timeout") {
    const auto baseline = common::test::open_descriptor_count();
    {
        Poll poll;
        const PollWaker waker(poll.registry(), kWakeToken);
        CHECK(waker.token() == kWakeToken);

        std::atomic<pid_t> tid{0};
        Events events(4);
        Clock::duration took{};
        std::thread waiter([&] {
            tid.store(ch02::test::this_thread_id());
            const auto start = Clock::now();
            poll.poll(events, 10s);
            took = Clock::now() - start;
        });
        while (tid.load() == 0) {
            std::this_thread::yield();
        }
        // Wake it only once it is really asleep in epoll_wait (not merely about to be).
        CHECK(ch02::test::wait_until_sleeping(tid.load()));
        waker.wake();
        waiter.join();

        CHECK(tokens_of(events) == std::vector<std::uint64_t>{kWakeToken.value});
        CHECK(took < 5s);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("wakes that happen before the wait are not lost, and reset() leaves no stale wake") {
    const auto baseline = common::test::open_descriptor_count();
    {
        Poll poll;
        const PollWaker waker(poll.registry(), kWakeToken);
        Events events(4);

        waker.wake();
        waker.wake();
        waker.wake(); // three wakes before anyone waits: one event (they coalesce), not zero
        const auto start = Clock::now();
        poll.poll(events, 10s);
        CHECK(Clock::now() - start < 5s);
        CHECK(tokens_of(events) == std::vector<std::uint64_t>{kWakeToken.value});

        waker.reset();
        poll.poll(events, 50ms);
        CHECK(events.empty()); // nothing pending after the reset: no busy loop on a stale wake

        // A wake after the reset is reported again.
        waker.wake();
        poll.poll(events, 10s);
        CHECK(tokens_of(events) == std::vector<std::uint64_t>{kWakeToken.value});
        waker.reset();
        waker.reset(); // resetting a zero counter is harmless (EAGAIN inside)
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("a wake between the poll's return and reset() is consumed by the reset, so the poller "
          "resets before it looks at its state") {
    // This pins down the rule documented at PollWaker::reset(). epoll re-checks the eventfd
    // before it reports an edge, so a wake whose write is undone by a later reset() raises no
    // event: the poller must find that wake's work by looking *after* its reset.
    const auto baseline = common::test::open_descriptor_count();
    {
        Poll poll;
        const PollWaker waker(poll.registry(), kWakeToken);
        Events events(4);
        std::atomic<int> work{0}; // what a real poller would find in its queue

        work.fetch_add(1);
        waker.wake();
        poll.poll(events, 10s);
        REQUIRE(tokens_of(events) == std::vector<std::uint64_t>{kWakeToken.value});
        work.fetch_add(1);
        waker.wake(); // lands after the poller saw the token, before its reset
        waker.reset();
        CHECK(work.exchange(0) == 2); // looked after the reset: both pieces of work are found
        poll.poll(events, 50ms);
        CHECK(events.empty()); // the second wake was consumed by the reset, no event for it

        // A wake after the reset is reported.
        work.fetch_add(1);
        waker.wake();
        poll.poll(events, 10s);
        CHECK(tokens_of(events) == std::vector<std::uint64_t>{kWakeToken.value});
        waker.reset();
        CHECK(work.exchange(0) == 1);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("many threads may wake the same poller at once") {
    const auto baseline = common::test::open_descriptor_count();
    {
        Poll poll;
        const PollWaker waker(poll.registry(), kWakeToken);
        Events events(4);
        std::vector<std::thread> wakers;
        for (int t = 0; t < 4; ++t) {
            wakers.emplace_back([&] {
                for (int i = 0; i < 1000; ++i) {
                    waker.wake();
                }
            });
        }
        // While they are waking: the poll returns with the token, not after its 10 s.
        const auto start = Clock::now();
        poll.poll(events, 10s);
        CHECK(Clock::now() - start < 5s);
        CHECK(tokens_of(events) == std::vector<std::uint64_t>{kWakeToken.value});
        waker.reset();
        for (auto& thread : wakers) {
            thread.join();
        }
        // Wakes that came after that reset left at most one pending edge; consume it, and then
        // the poller is quiet: 4000 wakes did not turn into an endless stream of events.
        poll.poll(events, 0ms);
        waker.reset();
        poll.poll(events, 50ms);
        CHECK(events.empty());
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}
