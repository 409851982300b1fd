// Tests of read_until_blocked.hpp: it drains more than one buffer's worth, tells "nothing more for
// now" from "the peer closed", enforces its size limit, and reports a reset as an error.
#include "ch02-epoll-reactor/src/read_until_blocked.hpp"

#include "support.hpp"

#include <common/http.hpp>
#include <common/test_support/resources.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <system_error>
#include <thread>

#include <sys/ioctl.h>
#include <sys/socket.h>

TEST_CASE("read_until_blocked drains everything available, across many reads") {
    const auto baseline = common::test::open_descriptor_count();
    {
        auto pair = ch02::test::tcp_pair();
        std::string sent;
        for (int i = 0; sent.size() < 20'000; ++i) { // five times its 4 KiB buffer
            sent += std::to_string(i) + ',';
        }
        ch02::test::send_text(pair.far, sent);

        // Loopback may still be moving the bytes across: keep draining until all have arrived,
        // as an edge-triggered reader does on each new edge. Bounded by the data, not by time.
        std::string got;
        while (got.size() < sent.size()) {
            REQUIRE(ch02::read_until_blocked(pair.near.get(), got, 1'000'000) ==
                    ch02::ReadOutcome::WouldBlock);
        }
        CHECK(got == sent);

        // Nothing more to read, peer still open: WouldBlock again, and nothing appended.
        CHECK(ch02::read_until_blocked(pair.near.get(), got, 1'000'000) ==
              ch02::ReadOutcome::WouldBlock);
        CHECK(got.size() == sent.size());

        pair.far.reset();
        std::string rest;
        CHECK(ch02::read_until_blocked(pair.near.get(), rest, 1'000'000) ==
              ch02::ReadOutcome::Closed);
        CHECK(rest.empty());
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("one call of read_until_blocked takes everything that has arrived, however many reads "
          "that needs") {
    // The edge-triggered reader's duty: the event that announced these bytes is the only one
    // they get, so a single call must read them all, not just its first 4 KiB.
    const auto baseline = common::test::open_descriptor_count();
    {
        auto pair = ch02::test::tcp_pair();
        const std::string sent(20'000, 'x'); // five times the 4 KiB buffer
        ch02::test::send_text(pair.far, sent);

        // Wait (bounded) until every byte is in the receive queue, so one call can see them all.
        int queued = 0;
        const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (::ioctl(pair.near.get(), FIONREAD, &queued) == 0 &&
               static_cast<std::size_t>(queued) < sent.size() &&
               std::chrono::steady_clock::now() < limit) {
            std::this_thread::yield();
        }
        REQUIRE(static_cast<std::size_t>(queued) == sent.size());

        std::string got;
        CHECK(ch02::read_until_blocked(pair.near.get(), got, 1'000'000) ==
              ch02::ReadOutcome::WouldBlock);
        CHECK(got.size() == sent.size());
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("read_until_blocked stops a peer that sends more than the limit") {
    const auto baseline = common::test::open_descriptor_count();
    {
        auto pair = ch02::test::tcp_pair();
        ch02::test::send_text(pair.far, std::string(200, 'x'));
        pair.far.reset();
        std::string got;
        CHECK_THROWS_AS(ch02::read_until_blocked(pair.near.get(), got, 100), common::HttpError);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("read_until_blocked reports a reset connection as an error, not as end of stream") {
    const auto baseline = common::test::open_descriptor_count();
    {
        auto pair = ch02::test::tcp_pair();
        // SO_LINGER {1, 0}: close sends RST instead of FIN, as the misbehaving server's Reset mode
        // does.
        linger abort_on_close{1, 0};
        REQUIRE(::setsockopt(pair.far.get(), SOL_SOCKET, SO_LINGER, &abort_on_close,
                             sizeof abort_on_close) == 0);
        pair.far.reset();
        std::string got;
        try {
            ch02::read_until_blocked(pair.near.get(), got, 1024);
            FAIL("a reset connection must throw");
        } catch (const std::system_error& e) {
            CHECK(e.code().value() == ECONNRESET);
        }
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}
