// Tests of demo_handler.hpp, the a-epoll demo's event handling: it prints what the book prints,
// counts each request once however many events arrive (upstream issue #4), treats spurious
// and partial events as "not yet", drains before it acts on a close, and turns bad answers into
// errors that name the request. The last test runs the demo's loop against the delay server.
#include "ch02-epoll-reactor/src/demo_handler.hpp"

#include "support.hpp"

#include <common/delay_server.hpp>
#include <common/http.hpp>
#include <common/test_support/misbehaving_server.hpp>
#include <common/test_support/resources.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include <poll.h>

using namespace std::chrono_literals;
using ch02::DemoHandler;
using ch02::Event;
using ch02::Events;
using ch02::Interest;
using ch02::Poll;
using ch02::Token;
using Clock = std::chrono::steady_clock;

namespace {

const Interest kEdgeReadable = Interest::readable() | Interest::edge_triggered();

std::string ok_response(std::string_view body) {
    return "HTTP/1.1 200 OK\r\ncontent-length: " + std::to_string(body.size()) +
           "\r\nconnection: close\r\n\r\n" + std::string(body);
}

// An event as epoll would deliver it, for feeding the handler repeated or spurious ones.
Event fake_event(std::uint64_t token, std::uint32_t bits) {
    epoll_event raw{};
    raw.events = bits;
    raw.data.u64 = token;
    return Event(raw);
}

// The handler with its output collected.
struct Recorded {
    std::vector<std::string> lines;
    DemoHandler handler{[this](std::string_view line) { lines.emplace_back(line); }};

    bool printed(std::string_view line) const {
        return std::find(lines.begin(), lines.end(), line) != lines.end();
    }
};

// Waits for the next event batch and returns its first event (these tests use one socket each).
Event next_event(Poll& poll) {
    Events events(4);
    poll.poll(events, 5s);
    REQUIRE(events.size() >= 1);
    return events[0];
}

} // namespace

TEST_CASE("describe() spells out the token and the flags, as the book's RECEIVED line") {
    CHECK(ch02::describe(fake_event(4, EPOLLIN | EPOLLRDHUP)) ==
          "Event { token: 4, events: EPOLLIN | EPOLLRDHUP }");
    CHECK(ch02::describe(fake_event(0, EPOLLOUT)) == "Event { token: 0, events: EPOLLOUT }");
    CHECK(ch02::describe(fake_event(1, 0)) == "Event { token: 1, events: 0 }");
}

TEST_CASE("the handler prints the event and the response, and completes the request once") {
    const auto baseline = common::test::open_descriptor_count();
    {
        Poll poll;
        Recorded recorded;
        auto pair = ch02::test::tcp_pair();
        poll.registry().register_fd(pair.near.get(), Token{0}, kEdgeReadable);
        recorded.handler.add(Token{0}, std::move(pair.near), "request-0");
        CHECK(recorded.handler.size() == 1);
        CHECK(recorded.handler.unfinished() == "request-0");

        ch02::test::send_text(pair.far, ok_response("request-0"));
        pair.far.reset();
        const Event event = next_event(poll);
        CHECK(recorded.handler.handle(event));
        CHECK(recorded.handler.handled() == 1);
        CHECK(recorded.handler.finished());
        CHECK(recorded.handler.unfinished().empty());

        REQUIRE(!recorded.lines.empty());
        CHECK(recorded.lines.front().starts_with("RECEIVED: Event { token: 0, events: EPOLLIN"));
        CHECK(recorded.printed("HTTP/1.1 200 OK"));
        CHECK(recorded.printed("request-0"));
        CHECK(recorded.lines.back() == "------");
    }
    // The handler closed the stream when the response was complete; nothing is left open.
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("a repeated event for a finished request does not count it twice (the original's bug "
          "#4)") {
    const auto baseline = common::test::open_descriptor_count();
    {
        Poll poll;
        Recorded recorded;
        auto first = ch02::test::tcp_pair();
        auto second = ch02::test::tcp_pair();
        poll.registry().register_fd(first.near.get(), Token{0}, kEdgeReadable);
        poll.registry().register_fd(second.near.get(), Token{1}, kEdgeReadable);
        recorded.handler.add(Token{0}, std::move(first.near), "request-0");
        recorded.handler.add(Token{1}, std::move(second.near), "request-1");

        ch02::test::send_text(first.far, ok_response("request-0"));
        first.far.reset();
        const Event event = next_event(poll);
        REQUIRE(event.token() == Token{0});
        CHECK(recorded.handler.handle(event));

        // The same notification again, twice, and once more as a bare EPOLLIN|EPOLLRDHUP: the
        // book's loop would have counted 3 more handled events and stopped with request-1
        // unanswered.
        CHECK_FALSE(recorded.handler.handle(event));
        CHECK_FALSE(recorded.handler.handle(event));
        CHECK_FALSE(recorded.handler.handle(fake_event(0, EPOLLIN | EPOLLRDHUP)));
        CHECK(recorded.handler.handled() == 1);
        CHECK_FALSE(recorded.handler.finished());
        CHECK(recorded.handler.unfinished() == "request-1");
        CHECK(
            recorded.printed("(request-0 was already handled: a repeated notification, ignored)"));

        // request-1 still completes normally.
        ch02::test::send_text(second.far, ok_response("request-1"));
        second.far.reset();
        CHECK(recorded.handler.handle(next_event(poll)));
        CHECK(recorded.handler.handled() == 2);
        CHECK(recorded.handler.finished());
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("a close that arrives while the handler drains raises an edge no later wait reports, "
          "because a finished stream is closed (what really prevents upstream #4)") {
    const auto baseline = common::test::open_descriptor_count();
    {
        Poll poll;
        Recorded recorded;
        auto pair = ch02::test::tcp_pair();
        const int near_fd = pair.near.get(); // for ::poll below; the handler owns the stream
        poll.registry().register_fd(near_fd, Token{0}, kEdgeReadable);
        recorded.handler.add(Token{0}, std::move(pair.near), "request-0");

        // The response arrives, and epoll_wait reports it: data, no close yet.
        ch02::test::send_text(pair.far, ok_response("request-0"));
        const Event data_only = next_event(poll);
        REQUIRE(data_only.token() == Token{0});
        CHECK_FALSE(data_only.is_read_closed());

        // The server closes after epoll_wait has returned and before the handler reads: a new
        // edge, queued for the *next* wait. Wait (bounded) until the close has arrived.
        pair.far.reset();
        pollfd arrived{near_fd, POLLRDHUP, 0};
        REQUIRE(::poll(&arrived, 1, 5000) == 1);

        // The handler drains the body and the end of stream: the request is complete.
        CHECK(recorded.handler.handle(data_only));

        // The book kept its streams registered, so this wait would report the stream again and
        // its read would find end of stream a second time. Closing the stream took it out of the
        // epoll set, so nothing is reported.
        Events events(4);
        poll.poll(events, 200ms);
        CHECK(events.empty());
        CHECK(recorded.handler.handled() == 1);
        CHECK(recorded.handler.finished());
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("a spurious event finds nothing to read and counts nothing") {
    const auto baseline = common::test::open_descriptor_count();
    {
        Poll poll;
        Recorded recorded;
        auto pair = ch02::test::tcp_pair();
        poll.registry().register_fd(pair.near.get(), Token{0}, kEdgeReadable);
        recorded.handler.add(Token{0}, std::move(pair.near), "request-0");

        // Readiness claimed, but no byte has been sent: the read says EAGAIN, and that is fine.
        CHECK_FALSE(recorded.handler.handle(fake_event(0, EPOLLIN)));
        CHECK(recorded.handler.handled() == 0);
        // A token the handler never gave out is ignored too.
        CHECK_FALSE(recorded.handler.handle(fake_event(99, EPOLLIN)));

        // The stream is still open and usable: the real answer completes the request.
        ch02::test::send_text(pair.far, ok_response("request-0"));
        pair.far.reset();
        CHECK(recorded.handler.handle(next_event(poll)));
        CHECK(recorded.handler.handled() == 1);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("an event that brings part of the response counts nothing, the next edge completes it") {
    const auto baseline = common::test::open_descriptor_count();
    {
        Poll poll;
        Recorded recorded;
        auto pair = ch02::test::tcp_pair();
        poll.registry().register_fd(pair.near.get(), Token{0}, kEdgeReadable);
        recorded.handler.add(Token{0}, std::move(pair.near), "request-0");

        const std::string response = ok_response("request-0");
        ch02::test::send_text(pair.far, response.substr(0, 20));
        CHECK_FALSE(recorded.handler.handle(next_event(poll)));
        CHECK(recorded.handler.handled() == 0);

        ch02::test::send_text(pair.far, response.substr(20));
        pair.far.reset();
        CHECK(recorded.handler.handle(next_event(poll)));
        CHECK(recorded.printed("request-0"));
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("when the close arrives with the data, the handler reads the data before it closes") {
    const auto baseline = common::test::open_descriptor_count();
    {
        Poll poll;
        Recorded recorded;
        auto pair = ch02::test::tcp_pair();
        poll.registry().register_fd(pair.near.get(), Token{0}, kEdgeReadable);
        recorded.handler.add(Token{0}, std::move(pair.near), "request-0");

        ch02::test::send_text(pair.far, ok_response("request-0"));
        pair.far.reset();
        const Event event = next_event(poll);
        CHECK(event.is_read_closed()); // EPOLLRDHUP already, with the whole answer unread
        CHECK(recorded.handler.handle(event));
        CHECK(recorded.printed("request-0")); // the body was read, not dropped with the close
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("a response trickled one byte at a time is assembled across many edges") {
    const auto baseline = common::test::open_descriptor_count();
    {
        common::test::MisbehavingServer server(common::test::Misbehavior::Trickle);
        Poll poll;
        Recorded recorded;
        common::Fd stream = common::connect_tcp(server.endpoint());
        common::set_nonblocking(stream.get());
        common::write_all(stream.get(), common::get_request("/0/anything"));
        poll.registry().register_fd(stream.get(), Token{0}, kEdgeReadable);
        // The trickling server's body is fixed; it is what this request must get back.
        recorded.handler.add(Token{0}, std::move(stream), std::string(common::test::kTrickleBody));

        std::size_t edges = 0;
        Events events(4);
        const auto give_up = Clock::now() + 10s;
        while (!recorded.handler.finished() && Clock::now() < give_up) {
            poll.poll(events, 1s);
            for (const Event event : events) {
                ++edges;
                recorded.handler.handle(event);
            }
        }
        CHECK(recorded.handler.finished());
        CHECK(recorded.printed(std::string(common::test::kTrickleBody)));
        CHECK(edges > 10); // many edges, one per byte or so, and each drained
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("a bad answer is an error that names the request") {
    const auto baseline = common::test::open_descriptor_count();
    {
        Poll poll;
        Recorded recorded;
        std::vector<ch02::test::SocketPair> pairs;
        const std::string answers[] = {
            ok_response("request-9"),                              // someone else's body
            "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n", // not a 200
            "",                                                    // closed without answering
        };
        for (std::uint64_t i = 0; i < 3; ++i) {
            pairs.push_back(ch02::test::tcp_pair());
            poll.registry().register_fd(pairs[i].near.get(), Token{i}, kEdgeReadable);
            recorded.handler.add(Token{i}, std::move(pairs[i].near),
                                 "request-" + std::to_string(i));
        }
        for (std::uint64_t i = 0; i < 3; ++i) {
            CAPTURE(i);
            ch02::test::send_text(pairs[i].far, answers[i]);
            pairs[i].far.reset();
            const Event event = next_event(poll);
            REQUIRE(event.token() == Token{i});
            try {
                recorded.handler.handle(event);
                FAIL("a bad answer must throw");
            } catch (const std::runtime_error& e) {
                CHECK(std::string(e.what()).starts_with("request-" + std::to_string(i) + ": "));
            }
        }
        CHECK(recorded.handler.handled() == 0);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("add() insists on tokens in order, because the token is the index") {
    const auto baseline = common::test::open_descriptor_count();
    {
        Recorded recorded;
        auto pair = ch02::test::tcp_pair();
        CHECK_THROWS_AS(recorded.handler.add(Token{1}, std::move(pair.near), "request-1"),
                        std::invalid_argument);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("several sockets become ready in delay order, all on one thread") {
    // The demo in miniature: three requests against the delay server, the first asking for the
    // longest delay. The answers come back in reverse order, and the whole run takes about the
    // longest delay, not the sum.
    const auto baseline = common::test::open_descriptor_count();
    {
        common::DelayServer server;
        Poll poll;
        Recorded recorded;
        const long delays[] = {300, 200, 100};
        const auto start = Clock::now();
        for (std::uint64_t i = 0; i < 3; ++i) {
            const std::string message = "request-" + std::to_string(i);
            common::Fd stream = common::connect_tcp(server.endpoint());
            common::set_nonblocking(stream.get());
            common::write_all(stream.get(),
                              common::get_request(common::delay_path(delays[i], message)));
            poll.registry().register_fd(stream.get(), Token{i}, kEdgeReadable);
            recorded.handler.add(Token{i}, std::move(stream), message);
        }

        std::vector<std::uint64_t> completed;
        Events events(10);
        const auto give_up = start + 10s;
        while (!recorded.handler.finished() && Clock::now() < give_up) {
            poll.poll(events, 1s);
            for (const Event event : events) {
                if (recorded.handler.handle(event)) {
                    completed.push_back(event.token().value);
                }
            }
        }
        const auto took = Clock::now() - start;
        CHECK(completed == std::vector<std::uint64_t>{2, 1, 0});
        CHECK(took >= 300ms); // it waited for the longest delay ...
        CHECK(took < 600ms);  // ... but not for their sum: the waits overlapped
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}
