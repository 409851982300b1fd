// Tests of common/fd.hpp and common/net.hpp: descriptor ownership (closed exactly once), endpoint
// parsing, and the blocking socket helpers' error paths — refused, timed out, too long, and a
// vanished peer that must be an EPIPE error rather than a SIGPIPE.
#include "common/fd.hpp"
#include "common/http.hpp"
#include "common/net.hpp"

#include "common/test_support/resources.hpp"

#include <doctest/doctest.h>

#include <cerrno>
#include <chrono>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

using namespace std::chrono_literals;

bool is_open(int fd) {
    return ::fcntl(fd, F_GETFD) != -1;
}

bool contains(std::string_view text, std::string_view part) {
    return text.find(part) != std::string_view::npos;
}

struct SocketPair {
    common::Fd a;
    common::Fd b;
    SocketPair() {
        int fds[2];
        REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
        a.reset(fds[0]);
        b.reset(fds[1]);
    }
};

} // namespace

TEST_CASE("Fd closes its descriptor exactly once, when it is destroyed") {
    const std::size_t baseline = common::test::open_descriptor_count();
    int raw = -1;
    {
        SocketPair pair;
        raw = pair.a.get();
        CHECK(is_open(raw));
        CHECK(common::test::open_descriptor_count() == baseline + 2);
    }
    CHECK_FALSE(is_open(raw));
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("moving an Fd transfers ownership, the moved-from one closes nothing") {
    const std::size_t baseline = common::test::open_descriptor_count();
    SocketPair pair;
    const int raw = pair.a.get();
    common::Fd moved_from(std::move(pair.a));
    common::Fd owner(std::move(moved_from));
    CHECK_FALSE(pair.a);
    CHECK_FALSE(moved_from);
    CHECK(owner.get() == raw);

    // A second close of `raw` would close whichever descriptor next got that number: close it
    // here, open another (the kernel hands out the lowest free number, i.e. `raw` again), and
    // check that destroying the moved-from objects leaves the newcomer alone.
    owner.reset();
    CHECK_FALSE(is_open(raw));
    common::Fd newcomer(::dup(pair.b.get()));
    REQUIRE(newcomer);
    CHECK(newcomer.get() == raw);
    moved_from.reset();
    pair.a.reset();
    { common::Fd gone(std::move(moved_from)); }
    CHECK(is_open(newcomer.get()));

    // Move assignment closes what the target held.
    common::Fd target(::dup(pair.b.get()));
    const int old = target.get();
    target = std::move(newcomer);
    CHECK(target.get() == raw);
    CHECK_FALSE(is_open(old));
    // Self-move-assignment keeps the descriptor (through a reference, so no -Wself-move).
    common::Fd& alias = target;
    target = std::move(alias);
    CHECK(target.get() == raw);
    CHECK(is_open(raw));

    target.reset();
    pair.b.reset();
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("Fd::release gives the descriptor up without closing it") {
    SocketPair pair;
    const int raw = pair.a.get();
    const int released = pair.a.release();
    CHECK(released == raw);
    CHECK_FALSE(pair.a);
    CHECK(pair.a.get() == -1);
    pair.a.reset(); // owns nothing: closes nothing
    CHECK(is_open(raw));
    CHECK(::close(raw) == 0);
}

TEST_CASE("a default Fd owns nothing") {
    common::Fd fd;
    CHECK_FALSE(fd);
    CHECK(fd.get() == -1);
    CHECK(fd.release() == -1);
}

TEST_CASE("parse_endpoint accepts HOST:PORT with ports 1 to 65535") {
    const auto e = common::parse_endpoint("127.0.0.1:8080");
    CHECK(e.host == "127.0.0.1");
    CHECK(e.port == 8080);
    CHECK(e.to_string() == "127.0.0.1:8080");
    CHECK(common::parse_endpoint("localhost:1").port == 1);
    CHECK(common::parse_endpoint("10.0.0.1:65535").port == 65535);
}

TEST_CASE("parse_endpoint rejects text that is not HOST:PORT") {
    for (const char* bad : {"", "127.0.0.1", ":8080", "127.0.0.1:", "127.0.0.1:0",
                            "127.0.0.1:65536", "127.0.0.1:70000", "127.0.0.1:80x", "127.0.0.1:-1",
                            "127.0.0.1: 80", "127.0.0.1:+80", "127.0.0.1:99999999999999999999"}) {
        CAPTURE(bad);
        CHECK_THROWS_AS(common::parse_endpoint(bad), std::invalid_argument);
    }
}

TEST_CASE("connect_tcp to a port that is bound but not listening is refused, naming the target") {
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        const common::test::RefusedPort refused;
        CHECK(refused.port() != 0);
        try {
            common::connect_tcp(refused.endpoint());
            FAIL("connected to a port nobody listens on");
        } catch (const std::system_error& e) {
            CHECK(e.code() == std::errc::connection_refused);
            const std::string expected = "connect 127.0.0.1:" + std::to_string(refused.port());
            CHECK(contains(e.what(), expected));
            CHECK(contains(e.what(), "refused"));
        }
    }
    // The failed connect's socket was closed, and so was the RefusedPort's.
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("connect_tcp gives up at its timeout when the server's accept queue is full") {
    // A server that listens but never accepts: once its small accept queue is full, the kernel
    // drops further handshakes and a blocking connect would wait through minutes of SYN retries.
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        common::Fd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        REQUIRE(listener);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        REQUIRE(::listen(listener.get(), 0) == 0);
        socklen_t len = sizeof addr;
        REQUIRE(::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&addr), &len) == 0);
        const common::Endpoint where{"127.0.0.1", ntohs(addr.sin_port)};

        // Fill the queue: connects succeed until it is full, then one times out. Bounded: a queue
        // of backlog 0 holds one or two connections, never sixteen.
        std::vector<common::Fd> queued;
        bool timed_out = false;
        std::chrono::steady_clock::duration waited{};
        for (int i = 0; i < 16 && !timed_out; ++i) {
            const auto start = std::chrono::steady_clock::now();
            try {
                queued.push_back(common::connect_tcp(where, std::chrono::milliseconds(200)));
            } catch (const std::runtime_error& e) {
                waited = std::chrono::steady_clock::now() - start;
                CHECK(std::string(e.what()) == "connect " + where.to_string() + ": timed out");
                timed_out = true;
            }
        }
        CHECK(timed_out);
        CHECK(waited >= std::chrono::milliseconds(190));
        CHECK(waited < std::chrono::seconds(5));
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("connect_tcp rejects a host that is not a numeric IPv4 address") {
    CHECK_THROWS_AS(common::connect_tcp(common::Endpoint{"no.such.host", 80}),
                    std::invalid_argument);
}

TEST_CASE("write_all and read_to_eof carry every byte across a socket") {
    SocketPair pair;
    std::string data;
    for (int i = 0; i < 300'000; ++i) { // more than a socket buffer: forces partial writes
        data.push_back(static_cast<char>(i % 251));
    }
    // Writing it all on this thread before reading would block forever on the full buffer, so a
    // second thread writes while this one reads. Its failure is carried out explicitly (an
    // exception escaping a thread would terminate the process; a REQUIRE there would abort it).
    std::string writer_error;
    std::thread writer([&] {
        try {
            common::write_all(pair.a.get(), data, "pair");
        } catch (const std::exception& e) {
            writer_error = e.what();
        }
        pair.a.reset(); // end of stream
    });
    std::string got;
    try {
        got = common::read_to_eof(pair.b.get(), data.size());
    } catch (const std::exception& e) {
        writer.join();
        FAIL("read_to_eof: " << e.what());
    }
    writer.join();
    CHECK(writer_error.empty());
    CHECK(got.size() == data.size());
    CHECK(got == data);
}

TEST_CASE("read_to_eof returns what arrived when the peer closes") {
    SocketPair pair;
    common::write_all(pair.a.get(), "hello");
    pair.a.reset();
    CHECK(common::read_to_eof(pair.b.get(), 100) == "hello");
    SocketPair empty;
    empty.a.reset();
    CHECK(common::read_to_eof(empty.b.get(), 100).empty());
}

TEST_CASE("read_to_eof on a silent peer ends with `timed out` after the receive timeout") {
    SocketPair pair; // pair.a stays open and says nothing
    common::set_receive_timeout(pair.b.get(), 100ms);
    const auto start = std::chrono::steady_clock::now();
    try {
        common::read_to_eof(pair.b.get(), 100, "silent-peer");
        FAIL("read_to_eof returned from a silent peer");
    } catch (const common::HttpError& e) {
        FAIL("a timeout reported as a protocol error: " << e.what());
    } catch (const std::exception& e) {
        CHECK(contains(e.what(), "timed out"));
        CHECK(contains(e.what(), "silent-peer"));
    }
    const auto elapsed = std::chrono::steady_clock::now() - start;
    CHECK(elapsed >= 90ms);
    CHECK(elapsed < 5s);
}

TEST_CASE("read_to_eof throws HttpError when more than max_bytes arrive") {
    SocketPair pair;
    common::write_all(pair.a.get(), std::string(101, 'x'));
    pair.a.reset();
    CHECK_THROWS_AS(common::read_to_eof(pair.b.get(), 100), common::HttpError);

    SocketPair exact;
    common::write_all(exact.a.get(), std::string(100, 'x'));
    exact.a.reset();
    CHECK(common::read_to_eof(exact.b.get(), 100).size() == 100);
}

TEST_CASE("write_all to a closed peer throws EPIPE instead of raising SIGPIPE") {
    // If write_all raised SIGPIPE, its default action would kill this test process: the test
    // passing at all is the proof; the CHECKs prove the error is reported.
    SocketPair pair;
    pair.b.reset();
    try {
        common::write_all(pair.a.get(), "nobody listens", "gone-peer");
        FAIL("write_all to a closed peer succeeded");
    } catch (const std::system_error& e) {
        CHECK(e.code() == std::errc::broken_pipe);
        CHECK(contains(e.what(), "gone-peer"));
    }
}

TEST_CASE("send_some reports a full socket buffer as 0 bytes instead of blocking") {
    SocketPair pair;
    common::set_nonblocking(pair.a.get());
    const std::string chunk(65536, 'x');
    std::size_t total = 0;
    std::size_t n = 0;
    int rounds = 0;
    do { // bounded: a socket buffer is far smaller than 10'000 chunks
        n = common::send_some(pair.a.get(), chunk);
        total += n;
    } while (n > 0 && ++rounds < 10'000);
    CHECK(n == 0);
    CHECK(total > 0);
    pair.b.reset();
    CHECK_THROWS_AS(common::send_some(pair.a.get(), chunk), std::system_error);
}

TEST_CASE("open_descriptor_count goes up by one per open socket and back down when closed") {
    const std::size_t baseline = common::test::open_descriptor_count();
    CHECK(baseline >= 3); // at least stdin, stdout, stderr (doctest keeps them open)
    {
        common::Fd socket(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        REQUIRE(socket);
        CHECK(common::test::open_descriptor_count() == baseline + 1);
        {
            common::Fd second(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
            CHECK(common::test::open_descriptor_count() == baseline + 2);
        }
        CHECK(common::test::open_descriptor_count() == baseline + 1);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("RefusedPort holds a distinct port for its lifetime") {
    const common::test::RefusedPort a;
    const common::test::RefusedPort b;
    CHECK(a.port() != 0);
    CHECK(a.port() != b.port()); // both are bound at once, so they cannot share a port
    CHECK(a.endpoint().to_string() == "127.0.0.1:" + std::to_string(a.port()));
}
