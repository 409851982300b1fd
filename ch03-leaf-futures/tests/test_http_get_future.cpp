// Tests of the leaf future: laziness, the first poll's work, reading on every poll, finishing
// cleanly (descriptors), polling after completion, and every way a server can fail it.
#include "ch03-leaf-futures/src/http_get_future.hpp"

#include "ch03-leaf-futures/src/runtime.hpp"
#include "support.hpp"

#include "ch02-epoll-reactor/src/poll.hpp"

#include <common/delay_server.hpp>
#include <common/http.hpp>
#include <common/net.hpp>
#include <common/test_support/misbehaving_server.hpp>
#include <common/test_support/resources.hpp>
#include <common/test_support/watchdog.hpp>

#include <doctest/doctest.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <system_error>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using ch03::test::contains;
using ch03::test::error_of;

TEST_CASE("an HttpGetFuture does nothing before it is polled, and connects on its first poll") {
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        ch03::test::Listener listener;
        ch03::Runtime runtime;
        ch03::Http http(runtime.registry(), listener.endpoint(), ch03::Announce::No);
        const std::size_t before = common::test::open_descriptor_count();

        auto future = http.get("/10/lazy");
        // Created, not polled: no socket was opened and nobody connected.
        CHECK(common::test::open_descriptor_count() == before);
        CHECK_FALSE(listener.accept_pending());

        // The first poll connects, sends the request and registers; the answer is not there yet.
        CHECK_FALSE(future->poll().is_ready());
        common::Fd conn = listener.accept_pending();
        REQUIRE(conn);
        const std::string head = ch03::test::read_request_head(conn.get());
        CHECK(head == common::get_request("/10/lazy"));

        // Answer by hand; block_on sleeps until it arrives and returns the body.
        common::write_all(conn.get(), ch03::test::ok_response("lazy"));
        conn.reset();
        CHECK(runtime.block_on(*future, Clock::now() + 5s) == "lazy");
        // The future is still alive, but its socket is closed: it finished.
        CHECK(common::test::open_descriptor_count() == before);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("a future to a refused port throws nothing until polled, then names the address") {
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        common::test::RefusedPort refused;
        ch03::Runtime runtime;
        ch03::Http http(runtime.registry(), refused.endpoint(), ch03::Announce::No);
        std::unique_ptr<ch03::Future<std::string>> future;
        CHECK_NOTHROW(future = http.get("/10/refused"));

        try {
            runtime.block_on(*future, Clock::now() + 5s);
            FAIL("a refused connection must be an error");
        } catch (const std::system_error& e) {
            CHECK(e.code().value() == ECONNREFUSED);
            CHECK(contains(e.what(), "connect " + refused.endpoint().to_string()));
        }
        // A future that failed is finished too.
        CHECK_THROWS_WITH_AS(future->poll(), "HttpGetFuture polled after completion",
                             std::logic_error);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("a request to the delay server completes under block_on with the decoded body") {
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        common::DelayServer server;
        ch03::Runtime runtime;
        ch03::Http http(runtime.registry(), server.endpoint(), ch03::Announce::No);
        auto future = http.get(common::delay_path(50, "hello, world"));
        CHECK(runtime.block_on(*future, Clock::now() + 10s) == "hello, world");
        CHECK(server.answered() == 1);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("polling a finished future is a logic error, not undefined behaviour") {
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        common::DelayServer server;
        ch03::Runtime runtime;
        ch03::Http http(runtime.registry(), server.endpoint(), ch03::Announce::No);
        auto future = http.get("/0/once");
        CHECK(runtime.block_on(*future, Clock::now() + 10s) == "once");
        CHECK_THROWS_WITH_AS(future->poll(), "HttpGetFuture polled after completion",
                             std::logic_error);
        CHECK_THROWS_AS(future->poll(), std::logic_error); // and stays so
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

// Under edge triggering an event is reported once. A future that read only after an event would
// hang if the event were consumed by somebody else first (another future's wake, or in ch04
// the reactor before the waker is in place: upstream issue #23). This one reads on every poll.
TEST_CASE("a future reads on every poll, so an answer whose event was consumed is not lost") {
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        ch03::test::Listener listener;
        ch02::Poll poll;
        ch03::Http http(poll.registry(), listener.endpoint(), ch03::Announce::No);
        auto future = http.get("/10/edge");
        CHECK_FALSE(future->poll().is_ready());

        common::Fd conn = listener.accept_pending();
        REQUIRE(conn);
        ch03::test::read_request_head(conn.get());
        common::write_all(conn.get(), ch03::test::ok_response("edge"));
        conn.reset();

        // Consume the edge(s): wait until the registry reports the socket, as a runtime would,
        // and then do *not* tell the future. No further event will ever come for this answer.
        ch02::Events events(8);
        poll.poll(events, 5s);
        REQUIRE_FALSE(events.empty());

        ch03::PollState<std::string> state = future->poll();
        REQUIRE(state.is_ready());
        CHECK(state.value() == "edge");
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("against each misbehaving server block_on ends in an error (the silent ones at the "
          "deadline) or, for a trickled answer, in the whole body") {
    const common::test::Watchdog dog(std::chrono::seconds(20)); // a lost deadline fails, bounded
    const std::size_t baseline = common::test::open_descriptor_count();
    for (const common::test::Misbehavior mode : common::test::kAllMisbehaviors) {
        CAPTURE(common::test::to_string(mode));
        common::test::MisbehavingServer server(mode);
        ch03::Runtime runtime;
        ch03::Http http(runtime.registry(), server.endpoint(), ch03::Announce::No);
        auto future = http.get("/10/misbehave");

        const auto timeout = common::test::needs_deadline(mode) ? 300ms : 10s;
        const auto start = Clock::now();
        std::string body;
        const std::string error =
            error_of([&] { body = runtime.block_on(*future, start + timeout); });
        const auto elapsed = Clock::now() - start;

        if (!common::test::must_fail(mode)) {
            CHECK(error.empty());
            CHECK(body == common::test::kTrickleBody);
        } else if (common::test::needs_deadline(mode)) {
            CHECK(error == "block_on: timed out");
            CHECK(elapsed >= timeout);
            // Waiting 300 ms took a handful of wakes, not a spin (each wake is one epoll_wait).
            CHECK(runtime.wakes() <= 5);
        } else {
            CHECK_FALSE(error.empty());
            CHECK(error != "block_on: timed out");
            CHECK(body.empty());
        }
        // Whatever happened, the future is finished and its socket closed before the server goes.
        if (!error.empty() && error != "block_on: timed out") {
            CHECK_THROWS_AS(future->poll(), std::logic_error);
        }
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("a server's bad answers name the request, and a reset names the peer") {
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        common::test::MisbehavingServer truncated(common::test::Misbehavior::CloseMidBody);
        ch03::Runtime runtime;
        ch03::Http http(runtime.registry(), truncated.endpoint(), ch03::Announce::No);
        auto future = http.get("/10/truncated");
        try {
            runtime.block_on(*future, Clock::now() + 10s);
            FAIL("a truncated body must be an error");
        } catch (const common::HttpError& e) {
            CHECK(contains(e.what(), "GET /10/truncated: "));
            CHECK(contains(e.what(), "truncated body"));
        }

        common::test::MisbehavingServer reset(common::test::Misbehavior::Reset);
        ch03::Http http2(runtime.registry(), reset.endpoint(), ch03::Announce::No);
        auto future2 = http2.get("/10/reset");
        try {
            runtime.block_on(*future2, Clock::now() + 10s);
            FAIL("a reset connection must be an error");
        } catch (const std::system_error& e) {
            CHECK(e.code().value() == ECONNRESET);
            CHECK(contains(e.what(), "read " + reset.endpoint().to_string()));
        }
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

// A failed future is finished: its socket must close when the error is thrown, not later when the
// owner happens to destroy the future (a join_all child that failed may stay alive for the rest of
// the run). The count is taken while the future is still alive. Reset is a read error
// (ECONNRESET); the others are bad answers found after the read.
TEST_CASE("a leaf future closes its socket as soon as it fails, while the future is still alive") {
    const std::size_t baseline = common::test::open_descriptor_count();
    for (const common::test::Misbehavior mode :
         {common::test::Misbehavior::Reset, common::test::Misbehavior::CloseMidBody,
          common::test::Misbehavior::CloseBeforeAnswer, common::test::Misbehavior::Garbage}) {
        CAPTURE(common::test::to_string(mode));
        common::test::MisbehavingServer server(mode);
        ch03::Runtime runtime;
        ch03::Http http(runtime.registry(), server.endpoint(), ch03::Announce::No);
        auto future = http.get("/10/fails");
        const std::size_t before = common::test::open_descriptor_count();

        const std::string error = error_of([&] { runtime.block_on(*future, Clock::now() + 10s); });
        CHECK_FALSE(error.empty());
        CHECK(error != "block_on: timed out");
        // The server closed its side before the client could see the failure, so only our socket
        // could still be open here.
        CHECK(common::test::open_descriptor_count() == before);
        CHECK_THROWS_WITH_AS(future->poll(), "HttpGetFuture polled after completion",
                             std::logic_error);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}
