// Tests of exercise ch02/02 (README.md says what each checks): a wait that times out, a wait that
// returns at once, a wait for a real answer, and the totals over all of them.
#include "timed_poll.hpp"

#include <common/delay_server.hpp>
#include <common/http.hpp>
#include <common/net.hpp>
#include <common/test_support/watchdog.hpp>

#include <doctest/doctest.h>

#include <chrono>

#include <sys/eventfd.h>
#include <unistd.h>

using namespace std::chrono_literals;

TEST_CASE("a wait with nothing registered sleeps for the timeout and counts as a timeout") {
    common::test::Watchdog watchdog;
    ch02::exercise::TimedPoll poll;
    ch02::Events events(8);
    const auto slept = poll.poll(events, 100ms);
    CHECK(events.empty());
    CHECK(slept >= 90ms); // epoll_wait's timeout has millisecond granularity: allow a little
    CHECK(slept < 1s);
    CHECK(poll.waits() == 1);
    CHECK(poll.timeouts() == 1);
    CHECK(poll.total_slept() == slept);
}

TEST_CASE("a wait for a descriptor that is ready already hardly sleeps") {
    common::test::Watchdog watchdog;
    ch02::exercise::TimedPoll poll;
    common::Fd ready(::eventfd(1, EFD_CLOEXEC | EFD_NONBLOCK)); // readable from the start
    REQUIRE(ready);
    poll.registry().register_fd(ready.get(), ch02::Token{7}, ch02::Interest::readable());
    ch02::Events events(8);
    const auto slept = poll.poll(events, 2000ms);
    REQUIRE(events.size() == 1);
    CHECK(events[0].token() == ch02::Token{7});
    CHECK(slept < 500ms);
    CHECK(poll.waits() == 1);
    CHECK(poll.timeouts() == 0);
    poll.registry().deregister(ready.get());
}

TEST_CASE("a wait for an answer delayed by 200 ms sleeps about that long and the totals add up") {
    common::test::Watchdog watchdog;
    common::DelayServer server;
    ch02::exercise::TimedPoll poll;
    common::Fd stream = common::connect_tcp(server.endpoint());
    common::write_all(stream.get(), common::get_request(common::delay_path(200, "later")));
    common::set_nonblocking(stream.get());
    poll.registry().register_fd(stream.get(), ch02::Token{1}, ch02::Interest::readable());

    ch02::Events events(8);
    const auto first = poll.poll(events, 5000ms);
    CHECK(events.size() == 1);
    CHECK(first >= 150ms); // the answer left the server 200 ms after the request arrived
    CHECK(first < 2000ms);

    poll.registry().deregister(stream.get());
    const auto second = poll.poll(events, 50ms); // nothing registered any more: a timeout
    CHECK(events.empty());
    CHECK(second >= 40ms);
    CHECK(poll.waits() == 2);
    CHECK(poll.timeouts() == 1);
    CHECK(poll.total_slept() == first + second);
}
