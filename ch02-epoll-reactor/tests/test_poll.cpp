// Tests of poll.hpp: tokens, edge versus level triggering, EPOLLRDHUP with unread data, timeouts,
// EINTR, deregistration and re-registration, a registration from another thread during a wait,
// Events capacity, and Poll's ownership of its descriptor. Loopback TCP pairs, no servers.
#include "ch02-epoll-reactor/src/poll.hpp"

#include "ch02-epoll-reactor/src/read_until_blocked.hpp"
#include "support.hpp"

#include <common/test_support/resources.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <optional>
#include <system_error>
#include <thread>
#include <type_traits>
#include <vector>

#include <pthread.h>

using namespace std::chrono_literals;
using ch02::Event;
using ch02::Events;
using ch02::Interest;
using ch02::Poll;
using ch02::Registry;
using ch02::Token;
using Clock = std::chrono::steady_clock;

namespace {

const Interest kEdgeReadable = Interest::readable() | Interest::edge_triggered();

// Long enough to be sure an event that was going to come has come (loopback delivers within
// microseconds), short enough to keep the suite quick. Used only where *no* event is expected.
constexpr auto kQuiet = 50ms;
// Used where an event is expected: poll returns as soon as it is there.
constexpr auto kPatience = 5s;

std::vector<std::uint64_t> tokens_of(const Events& events) {
    std::vector<std::uint64_t> tokens;
    for (const Event event : events) {
        tokens.push_back(event.token().value);
    }
    return tokens;
}

} // namespace

TEST_CASE("a readable socket is reported with the token it was registered with") {
    const auto baseline = common::test::open_descriptor_count();
    {
        Poll poll;
        auto a = ch02::test::tcp_pair();
        auto b = ch02::test::tcp_pair();
        poll.registry().register_fd(a.near.get(), Token{7}, kEdgeReadable);
        poll.registry().register_fd(b.near.get(), Token{42}, kEdgeReadable);
        ch02::test::send_text(b.far, "for b");

        Events events(8);
        poll.poll(events, kPatience);
        REQUIRE(events.size() == 1);
        CHECK(events[0].token() == Token{42});
        CHECK(events[0].is_readable());
        CHECK_FALSE(events[0].is_writable());
        CHECK_FALSE(events[0].is_read_closed());

        ch02::test::send_text(a.far, "for a");
        poll.poll(events, kPatience);
        CHECK(tokens_of(events) == std::vector<std::uint64_t>{7});
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("under edge triggering an event does not repeat without new data, and new data raises "
          "a new edge even before the old data is read") {
    const auto baseline = common::test::open_descriptor_count();
    {
        Poll poll;
        auto pair = ch02::test::tcp_pair();
        poll.registry().register_fd(pair.near.get(), Token{1}, kEdgeReadable);
        Events events(8);

        ch02::test::send_text(pair.far, "first ");
        poll.poll(events, kPatience);
        CHECK(tokens_of(events) == std::vector<std::uint64_t>{1});

        // The data is still unread, but the edge has been reported: no second event. A reader
        // that stopped reading here (without draining) would wait forever.
        poll.poll(events, kQuiet);
        CHECK(events.empty());

        // New data is a new edge, although the first bytes are still in the socket.
        ch02::test::send_text(pair.far, "second");
        poll.poll(events, kPatience);
        CHECK(tokens_of(events) == std::vector<std::uint64_t>{1});

        // Draining gets both pieces, and after that there is nothing to report.
        std::string got;
        CHECK(ch02::read_until_blocked(pair.near.get(), got, 1024) ==
              ch02::ReadOutcome::WouldBlock);
        CHECK(got == "first second");
        poll.poll(events, kQuiet);
        CHECK(events.empty());
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("under level triggering an unread socket is reported on every wait") {
    const auto baseline = common::test::open_descriptor_count();
    {
        Poll poll;
        auto pair = ch02::test::tcp_pair();
        poll.registry().register_fd(pair.near.get(), Token{3}, Interest::readable());
        Events events(8);
        ch02::test::send_text(pair.far, "x");

        for (int i = 0; i < 3; ++i) { // the contrast with the test above: it repeats
            poll.poll(events, kPatience);
            CHECK(tokens_of(events) == std::vector<std::uint64_t>{3});
        }
        std::string got;
        ch02::read_until_blocked(pair.near.get(), got, 1024);
        CHECK(got == "x");
        poll.poll(events, 0ms);
        CHECK(events.empty());
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("a peer's close can arrive together with unread data, so the reader drains before it "
          "closes") {
    const auto baseline = common::test::open_descriptor_count();
    {
        Poll poll;
        auto pair = ch02::test::tcp_pair();
        poll.registry().register_fd(pair.near.get(), Token{5}, kEdgeReadable);

        // The server's pattern: the whole answer, then close — before we get to look.
        ch02::test::send_text(pair.far, "the whole answer");
        pair.far.reset();

        Events events(8);
        poll.poll(events, kPatience);
        REQUIRE(events.size() == 1);
        CHECK(events[0].token() == Token{5});
        CHECK(events[0].is_read_closed()); // EPOLLRDHUP ...
        CHECK(events[0].is_readable());    // ... and the data is still there, in the same event
        CHECK((events[0].epoll_bits() & EPOLLRDHUP) != 0);

        // A handler that treated "read closed" as "done" and closed now would lose the answer.
        std::string got;
        CHECK(ch02::read_until_blocked(pair.near.get(), got, 1024) == ch02::ReadOutcome::Closed);
        CHECK(got == "the whole answer");
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("a peer closing without sending anything is seen as end of stream") {
    const auto baseline = common::test::open_descriptor_count();
    {
        Poll poll;
        auto pair = ch02::test::tcp_pair();
        poll.registry().register_fd(pair.near.get(), Token{9}, kEdgeReadable);
        Events events(8);
        poll.poll(events, 0ms);
        CHECK(events.empty()); // nothing yet

        pair.far.reset();
        poll.poll(events, kPatience);
        REQUIRE(events.size() == 1);
        CHECK(events[0].token() == Token{9});
        CHECK(events[0].is_read_closed());
        std::string got;
        CHECK(ch02::read_until_blocked(pair.near.get(), got, 1024) == ch02::ReadOutcome::Closed);
        CHECK(got.empty());
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("a timeout returns no events, after at least the timeout") {
    const auto baseline = common::test::open_descriptor_count();
    {
        Poll poll;
        auto pair = ch02::test::tcp_pair();
        poll.registry().register_fd(pair.near.get(), Token{1}, kEdgeReadable);
        Events events(8);

        // First a wait that does return an event, so a stale size from it would show below.
        ch02::test::send_text(pair.far, "x");
        poll.poll(events, kPatience);
        REQUIRE(events.size() == 1);

        const auto start = Clock::now();
        poll.poll(events, 100ms);
        const auto took = Clock::now() - start;
        CHECK(events.empty());
        CHECK_FALSE(events.begin() != events.end());
        CHECK(took >= 100ms);
        CHECK(took < kPatience); // generous: only "it did not wait forever"

        // A zero timeout does not wait at all (a generous bound: "much less than a timeout").
        const auto start0 = Clock::now();
        poll.poll(events, 0ms);
        CHECK(events.empty());
        CHECK(Clock::now() - start0 < 1s);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

namespace {

std::atomic<int> signals_seen{0}; // lock-free, so a signal handler may touch it
static_assert(std::atomic<int>::is_always_lock_free);

extern "C" void count_signal(int) {
    signals_seen.fetch_add(1, std::memory_order_relaxed);
}

} // namespace

TEST_CASE("a signal during the wait is retried with the time left, never mistaken for events or "
          "for a timeout") {
    // Without SA_RESTART, epoll_wait fails with EINTR when a handler runs (it never restarts on
    // its own anyway). Poll::poll must wait again for the rest of the timeout.
    struct sigaction action {};
    action.sa_handler = count_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;
    struct sigaction previous {};
    REQUIRE(::sigaction(SIGUSR1, &action, &previous) == 0);
    signals_seen.store(0);

    const auto baseline = common::test::open_descriptor_count();
    {
        Poll poll;
        auto pair = ch02::test::tcp_pair();
        poll.registry().register_fd(pair.near.get(), Token{1}, kEdgeReadable);

        std::atomic<pid_t> tid{0};
        std::atomic<bool> returned{false};
        Events events(8);
        Clock::duration took{};
        std::thread waiter([&] {
            tid.store(ch02::test::this_thread_id());
            const auto start = Clock::now();
            poll.poll(events, 400ms);
            took = Clock::now() - start;
            returned.store(true);
        });
        while (tid.load() == 0) {
            std::this_thread::yield();
        }
        // Interrupt it three times while it is asleep in epoll_wait.
        for (int i = 0; i < 3 && !returned.load(); ++i) {
            if (!ch02::test::wait_until_sleeping(tid.load())) {
                break;
            }
            const int before = signals_seen.load();
            ::pthread_kill(waiter.native_handle(), SIGUSR1);
            const auto limit = Clock::now() + 2s;
            while (signals_seen.load() == before && Clock::now() < limit) {
                std::this_thread::yield();
            }
        }
        waiter.join();
        CHECK(signals_seen.load() >= 1);
        CHECK(events.empty()); // nothing was ready: a signal is not an event
        CHECK(took >= 400ms);  // and not an early timeout either
    }
    CHECK(common::test::open_descriptor_count() == baseline);
    ::sigaction(SIGUSR1, &previous, nullptr);
}

TEST_CASE("deregistration stops events, and deregistering twice is an error") {
    const auto baseline = common::test::open_descriptor_count();
    {
        Poll poll;
        auto pair = ch02::test::tcp_pair();
        poll.registry().register_fd(pair.near.get(), Token{1}, kEdgeReadable);
        poll.registry().deregister(pair.near.get());

        ch02::test::send_text(pair.far, "nobody is listening");
        Events events(8);
        poll.poll(events, kQuiet);
        CHECK(events.empty());

        CHECK_THROWS_AS(poll.registry().deregister(pair.near.get()), std::system_error);
        // Registered again, it is reported again (edge triggering reports what is ready now).
        poll.registry().register_fd(pair.near.get(), Token{2}, kEdgeReadable);
        poll.poll(events, kPatience);
        CHECK(tokens_of(events) == std::vector<std::uint64_t>{2});
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("registering a descriptor twice is an error, not a second registration") {
    const auto baseline = common::test::open_descriptor_count();
    {
        Poll poll;
        auto pair = ch02::test::tcp_pair();
        poll.registry().register_fd(pair.near.get(), Token{1}, kEdgeReadable);
        CHECK_THROWS_AS(poll.registry().register_fd(pair.near.get(), Token{2}, kEdgeReadable),
                        std::system_error);
        CHECK_THROWS_AS(poll.registry().reregister(-1, Token{2}, kEdgeReadable), std::system_error);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("re-registration changes the interest and the token") {
    const auto baseline = common::test::open_descriptor_count();
    {
        Poll poll;
        auto pair = ch02::test::tcp_pair();
        Events events(8);

        // A connected socket with an empty send buffer is writable at once.
        poll.registry().register_fd(pair.near.get(), Token{1},
                                    Interest::writable() | Interest::edge_triggered());
        poll.poll(events, kPatience);
        REQUIRE(events.size() == 1);
        CHECK(events[0].token() == Token{1});
        CHECK(events[0].is_writable());
        CHECK_FALSE(events[0].is_readable());

        // Now readable only, under a new token: still writable, but that is no longer asked for,
        // and there is nothing to read.
        poll.registry().reregister(pair.near.get(), Token{2}, kEdgeReadable);
        poll.poll(events, kQuiet);
        CHECK(events.empty());

        ch02::test::send_text(pair.far, "data");
        poll.poll(events, kPatience);
        REQUIRE(events.size() == 1);
        CHECK(events[0].token() == Token{2});
        CHECK(events[0].is_readable());
        CHECK_FALSE(events[0].is_writable());

        // And back to writable: re-registering re-arms the edge, so the (still) writable socket
        // is reported again under the token given now.
        poll.registry().reregister(pair.near.get(), Token{3},
                                   Interest::writable() | Interest::edge_triggered());
        poll.poll(events, kPatience);
        REQUIRE(events.size() == 1);
        CHECK(events[0].token() == Token{3});
        CHECK(events[0].is_writable());
        CHECK_FALSE(events[0].is_readable());
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("more ready sockets than Events holds are reported by the next wait") {
    const auto baseline = common::test::open_descriptor_count();
    {
        Poll poll;
        std::vector<ch02::test::SocketPair> pairs;
        for (std::uint64_t i = 0; i < 5; ++i) {
            pairs.push_back(ch02::test::tcp_pair());
            poll.registry().register_fd(pairs.back().near.get(), Token{i}, kEdgeReadable);
            ch02::test::send_text(pairs.back().far, "x");
        }
        Events events(2);
        CHECK(events.capacity() == 2);
        std::vector<std::uint64_t> seen;
        for (int wait = 0; wait < 3; ++wait) {
            poll.poll(events, kPatience);
            CHECK(events.size() <= 2);
            for (const auto token : tokens_of(events)) {
                seen.push_back(token);
            }
        }
        std::sort(seen.begin(), seen.end());
        CHECK(seen == std::vector<std::uint64_t>{0, 1, 2, 3, 4}); // each once, none lost
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("a registration from another thread is seen by a poll that is already blocked") {
    // What chapter 4 relies on: executors register sockets while the reactor thread waits.
    const auto baseline = common::test::open_descriptor_count();
    {
        Poll poll;
        auto pair = ch02::test::tcp_pair();
        ch02::test::send_text(pair.far, "ready before it is registered");

        std::atomic<pid_t> tid{0};
        Events events(8);
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
        CHECK(ch02::test::wait_until_sleeping(tid.load()));
        poll.registry().register_fd(pair.near.get(), Token{11}, kEdgeReadable);
        waiter.join();

        CHECK(tokens_of(events) == std::vector<std::uint64_t>{11});
        CHECK(took < 5s); // woken by the registration, long before its 10 s timeout
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

// A Registry holds the epoll descriptor's number, and a PollWaker is registered in that instance.
// Move assignment would close the descriptor the target held while they may still use it (and the
// kernel reuses the number for the next descriptor opened), so it must not compile; move
// construction keeps the descriptor open, and a Registry taken before the move keeps working.
static_assert(!std::is_copy_constructible_v<Poll>);
static_assert(!std::is_copy_assignable_v<Poll>);
static_assert(!std::is_move_assignable_v<Poll>);
static_assert(std::is_nothrow_move_constructible_v<Poll>);

TEST_CASE("a Poll moves into a new Poll without closing its descriptor, and cannot be assigned") {
    const auto baseline = common::test::open_descriptor_count();
    {
        auto pair = ch02::test::tcp_pair();
        const auto with_pair = common::test::open_descriptor_count();
        std::optional<Poll> target;
        std::optional<Registry> taken_before_the_move;
        {
            Poll original;
            taken_before_the_move.emplace(original.registry());
            CHECK(common::test::open_descriptor_count() == with_pair + 1);
            target.emplace(std::move(original));
            CHECK(common::test::open_descriptor_count() == with_pair + 1); // moved, not duplicated
            // The moved-from Poll holds no descriptor: using it is an error, not a silent no-op.
            CHECK_THROWS_AS(
                original.registry().register_fd(pair.near.get(), Token{9}, kEdgeReadable),
                std::system_error);
        } // the moved-from original is destroyed here; it must not close the target's descriptor
        CHECK(common::test::open_descriptor_count() == with_pair + 1);

        // The Registry copied before the move still names the same, still open, epoll instance.
        taken_before_the_move->register_fd(pair.near.get(), Token{1}, kEdgeReadable);
        ch02::test::send_text(pair.far, "x");
        Events events(4);
        target->poll(events, kPatience);
        CHECK(tokens_of(events) == std::vector<std::uint64_t>{1});

        target.reset(); // the one close
        CHECK(common::test::open_descriptor_count() == with_pair);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("a very long timeout is accepted (no overflow), and an empty Events still holds one") {
    const auto baseline = common::test::open_descriptor_count();
    {
        Poll poll;
        auto pair = ch02::test::tcp_pair();
        poll.registry().register_fd(pair.near.get(), Token{1}, kEdgeReadable);
        ch02::test::send_text(pair.far, "x");
        Events events(0);
        CHECK(events.capacity() == 1);
        poll.poll(events, std::chrono::milliseconds::max()); // returns at once: data is ready
        CHECK(tokens_of(events) == std::vector<std::uint64_t>{1});
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}
