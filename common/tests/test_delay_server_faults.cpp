// Regression tests for the delay server's latent faults (common/RELIABILITY.md, "Faults found and
// fixed"): each case pins down one fault and failed before its fix. Like test_delay_server.cpp,
// each runs its own server on 127.0.0.1 with a free port and checks that the process's descriptor
// count is back where it started.
#include "common/delay_server.hpp"
#include "common/fd.hpp"
#include "common/http.hpp"
#include "common/net.hpp"
#include "common/test_support/capture.hpp"
#include "common/test_support/child_process.hpp"
#include "common/test_support/resources.hpp"

#include <doctest/doctest.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using common::test::open_descriptor_count;

// Long enough for a slow sanitizer build, short enough that a hang fails quickly.
constexpr auto kReadTimeout = 10s;

common::Fd connect_to(const common::DelayServer& server,
                      std::chrono::milliseconds timeout = kReadTimeout) {
    common::Fd fd = common::connect_tcp(server.endpoint());
    common::set_receive_timeout(fd.get(), timeout);
    return fd;
}

std::string read_answer(const common::Fd& fd) {
    return common::read_to_eof(fd.get(), common::kMaxResponseBytes);
}

std::string get(const common::DelayServer& server, std::string_view path) {
    const common::Fd fd = connect_to(server);
    common::write_all(fd.get(), common::get_request(path));
    return read_answer(fd);
}

// Whether the peer has closed the connection (EOF or reset), reading and ignoring any bytes
// first; false when the receive timeout expired with the connection still open.
bool sees_close(int fd) {
    char buffer[4096];
    for (;;) {
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n > 0) {
            continue;
        }
        if (n == 0 || errno == ECONNRESET) {
            return true;
        }
        if (errno != EINTR) {
            return false;
        }
    }
}

// Polls `condition` every few milliseconds until it holds or `limit` has passed.
template <typename Condition>
bool eventually(Condition condition, std::chrono::milliseconds limit) {
    const auto give_up = Clock::now() + limit;
    while (!condition()) {
        if (Clock::now() >= give_up) {
            return false;
        }
        std::this_thread::sleep_for(2ms);
    }
    return true;
}

} // namespace

// ---- a dead loop leaves the listener open ----------------------------------------------------

TEST_CASE("a delay server whose loop died refuses new clients instead of leaving them waiting") {
    const auto baseline = open_descriptor_count();
    {
        common::DelayServer server;
        CHECK(common::ok_body(get(server, "/0/before")) == "before");

        common::test::CapturedOutput err(STDERR_FILENO);
        server.fail_for_test();
        // The thread dies on its next turn. A client that comes before may still be served, or be
        // closed as the loop unwinds; every client must learn its fate at once. Before the fix,
        // the kernel went on completing handshakes for a listener nobody accepted from: connect
        // succeeded and the client waited for its receive timeout.
        bool refused = false;
        const auto give_up = Clock::now() + 5s;
        while (!refused && Clock::now() < give_up) {
            try {
                const common::Fd fd = connect_to(server, 2s);
                common::write_all(fd.get(), common::get_request("/0/after"));
                REQUIRE_MESSAGE(sees_close(fd.get()), "a client of a dead server was left waiting");
            } catch (const std::system_error& e) {
                refused = e.code() == std::errc::connection_refused;
                // Otherwise the connection was reset while we wrote: also an answer. Try again.
            }
        }
        CHECK(refused);
        CHECK(common::test::contains(
            err.finish(), "error: delay server: epoll_wait: failure injected by a test"));
    }
    CHECK(open_descriptor_count() == baseline);
}

// ---- slow request heads were re-scanned from the start on every byte -------------------------

TEST_CASE("a request head trickled in one byte at a time costs the parser linear work") {
    const auto baseline = open_descriptor_count();
    {
        common::DelayServer server;
        const std::string head = "GET /0/" + std::string(700, 'm') +
                                 " HTTP/1.1\r\nx-filler: " + std::string(700, 'f') + "\r\n\r\n";
        const common::Fd fd = connect_to(server);
        const int one = 1;
        // Each byte leaves at once (no Nagle delay), and the next one only after the server has
        // looked at it, so every byte arrives in a read of its own.
        REQUIRE(::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0);
        const auto give_up = Clock::now() + kReadTimeout;
        for (const char byte : head) {
            const std::uint64_t before = server.head_bytes_examined();
            common::write_all(fd.get(), std::string_view(&byte, 1));
            while (server.head_bytes_examined() == before && Clock::now() < give_up) {
                std::this_thread::sleep_for(20us);
            }
        }
        CHECK(common::ok_body(read_answer(fd)) == std::string(700, 'm'));
        // Each byte is scanned once and the request line parsed once: about 1.5 times the head.
        // Parsing everything received so far on every byte costs about head² / 2: 1.1 million.
        const std::uint64_t work = server.head_bytes_examined();
        CAPTURE(work);
        CHECK(work >= head.size());
        CHECK(work <= 2 * head.size());
    }
    CHECK(open_descriptor_count() == baseline);
}

// ---- untested paths: the Sending phase -------------------------------------------------------

namespace {

// A message, and so an answer, several times larger than what the kernel buffers for a client
// that does not read (connect_cramped). The default path limit (2048 bytes) keeps answers smaller
// than that, so these tests raise it (max_path_bytes); the head stays within 8 KiB.
const std::string kLongMessage(7800, 'L');

common::DelayServerOptions cramped_server() {
    common::DelayServerOptions options;
    options.send_buffer_bytes = 1; // rounded up to the kernel's minimum
    options.max_path_bytes = 8000;
    return options;
}

// A client whose receive side holds as little as the kernel allows: the smallest receive buffer,
// and the smallest segment size (88 bytes), which makes every byte in flight cost the most
// buffer space. Against a server whose send buffer is shrunk too (send_buffer_bytes), the kernel
// takes about 3.4 KB of an answer (Linux 6) until the client reads: the server must keep the rest
// and wait for EPOLLOUT.
common::Fd connect_cramped(const common::DelayServer& server) {
    common::Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    REQUIRE(fd);
    const int smallest = 1; // rounded up to the kernel's minimum
    REQUIRE(::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &smallest, sizeof smallest) == 0);
    const int mss = 88;
    REQUIRE(::setsockopt(fd.get(), IPPROTO_TCP, TCP_MAXSEG, &mss, sizeof mss) == 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(server.port());
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
    common::set_receive_timeout(fd.get(), kReadTimeout);
    return fd;
}

// Bytes waiting in the socket's receive queue.
int queued_bytes(int fd) {
    int n = 0;
    REQUIRE(::ioctl(fd, FIONREAD, &n) == 0);
    return n;
}

} // namespace

TEST_CASE("an answer that does not fit into one send reaches a slow reader whole") {
    const auto baseline = open_descriptor_count();
    {
        common::DelayServer server(cramped_server());
        const common::Fd fd = connect_cramped(server);
        common::write_all(fd.get(), common::get_request("/0/" + kLongMessage));

        // The reader is slow on purpose: it starts reading only when the server has long since
        // filled every buffer on the way and is waiting for room.
        std::this_thread::sleep_for(200ms);
        REQUIRE(queued_bytes(fd.get()) < static_cast<int>(kLongMessage.size()));
        // The rest follows as room appears (EPOLLOUT), before the idle timeout (5 s).
        CHECK(common::ok_body(read_answer(fd)) == kLongMessage);
        server.stop();
        CHECK(server.answered() == 1); // counted once the last byte went out
    }
    CHECK(open_descriptor_count() == baseline);
}

TEST_CASE("a client that stops reading its answer is dropped after the idle timeout") {
    const auto baseline = open_descriptor_count();
    {
        common::DelayServerOptions options = cramped_server();
        options.idle_timeout = 300ms;
        common::DelayServer server(options);
        const auto with_server = open_descriptor_count();
        const auto start = Clock::now();
        const common::Fd fd = connect_cramped(server);
        common::write_all(fd.get(), common::get_request("/0/" + kLongMessage));
        // The server has the request once its end of the connection is open too.
        REQUIRE(eventually([&] { return server.head_bytes_examined() > 0; }, 5s));
        REQUIRE(open_descriptor_count() == with_server + 2);

        // The client reads nothing. The server's end of the connection must close when the
        // Sending phase's deadline comes up.
        CHECK(eventually([&] { return open_descriptor_count() == with_server + 1; }, 5s));
        CHECK(Clock::now() - start >= 300ms);
        // What the kernel had taken arrives, then the end: a truncated answer, proof that the
        // server gave up with part of it unsent.
        const std::string raw = read_answer(fd);
        CHECK(raw.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
        CHECK(raw.size() < kLongMessage.size());
        CHECK_THROWS_AS(common::parse_response(raw), common::HttpError);
        server.stop();
        CHECK(server.answered() == 0);
    }
    CHECK(open_descriptor_count() == baseline);
}

// ---- untested paths: a reused descriptor number does not inherit a deadline ------------------

TEST_CASE("a connection on a reused descriptor number does not inherit the old one's deadline") {
    const auto baseline = open_descriptor_count();
    {
        constexpr auto kIdle = 600ms;
        common::DelayServerOptions options;
        options.idle_timeout = kIdle;
        common::DelayServer server(options);

        // The first connection files an idle deadline (kIdle after its accept), is answered 400
        // at once and closed: its descriptor number is free, its deadline still in the heap.
        const auto first_connected = Clock::now();
        {
            const common::Fd first = connect_to(server);
            common::write_all(first.get(), "NONSENSE\r\n\r\n");
            CHECK(common::parse_response(read_answer(first)).status == 400);
        } // the client's end closes too: both numbers are free again
        std::this_thread::sleep_for(kIdle / 2);

        // The kernel hands out the lowest free number: this client's socket gets the first
        // client's, the server's accept the number the first connection had. It sends nothing.
        const auto second_connected = Clock::now();
        const common::Fd second = connect_to(server);
        const common::Response response = common::parse_response(read_answer(second));
        const auto waited = Clock::now() - second_connected;
        CHECK(response.status == 408);
        // Its own idle timeout, not what was left of the first connection's (kIdle / 2).
        CAPTURE(std::chrono::duration_cast<std::chrono::milliseconds>(waited).count());
        CHECK(waited >= kIdle);
        CHECK(Clock::now() - first_connected >= kIdle + kIdle / 2);
    }
    CHECK(open_descriptor_count() == baseline);
}

// ---- clients that close early pinned a descriptor until their delay ended --------------------

TEST_CASE("a client that closes while its answer is pending frees its descriptor at once") {
    const auto baseline = open_descriptor_count();
    {
        common::DelayServer server;
        const auto with_server = open_descriptor_count();
        // A loop of clients that ask for an hour and leave. Before the fix each left a
        // descriptor in CLOSE_WAIT on the server's side, for the hour.
        constexpr int kClients = 50;
        for (int i = 0; i < kClients; ++i) {
            common::Fd gone = connect_to(server);
            common::write_all(gone.get(), common::get_request("/3600000/gone"));
        }
        CHECK(eventually([&] { return open_descriptor_count() == with_server; }, 5s));
        CHECK(common::ok_body(get(server, "/0/served")) == "served");
        server.stop();
        CHECK(server.answered() == 1);
    }
    CHECK(open_descriptor_count() == baseline);
}

TEST_CASE("a client that only half-closes after its request still gets the whole answer") {
    const auto baseline = open_descriptor_count();
    {
        common::DelayServer server;
        const auto start = Clock::now();
        const common::Fd fd = connect_to(server);
        common::write_all(fd.get(), common::get_request("/300/half-closed"));
        REQUIRE(::shutdown(fd.get(), SHUT_WR) == 0); // as `nc -N` does
        // The server sends the first byte early (to tell this from a close); the rest, and the
        // answer's end, come after the delay.
        const std::string raw = read_answer(fd);
        CHECK(Clock::now() - start >= 300ms);
        CHECK(common::ok_body(raw) == "half-closed");
        server.stop();
        CHECK(server.answered() == 1);
    }
    CHECK(open_descriptor_count() == baseline);
}

TEST_CASE("the delay server answers 503 at once beyond max_connections") {
    const auto baseline = open_descriptor_count();
    {
        common::DelayServerOptions options;
        options.max_connections = 3;
        common::DelayServer server(options);
        const auto with_server = open_descriptor_count();
        std::vector<common::Fd> waiting;
        for (int i = 0; i < 3; ++i) {
            waiting.push_back(connect_to(server));
            common::write_all(waiting.back().get(), common::get_request("/60000/wait"));
        }
        // All three held: their server ends are open too.
        REQUIRE(eventually([&] { return open_descriptor_count() == with_server + 6; }, 5s));

        const auto start = Clock::now();
        const common::Response refused = common::parse_response(get(server, "/0/one-too-many"));
        CHECK(refused.status == 503);
        CHECK(refused.header("connection") == "close");
        CHECK(!refused.body.empty());
        CHECK(Clock::now() - start < 2s);

        // A held client that leaves makes room at once (its close is noticed, see above).
        waiting.pop_back();
        REQUIRE(eventually([&] { return open_descriptor_count() == with_server + 4; }, 5s));
        CHECK(common::ok_body(get(server, "/0/room-again")) == "room-again");
        waiting.clear();
        server.stop();
        CHECK(server.answered() == 1);
    }
    CHECK(open_descriptor_count() == baseline);
}

TEST_CASE("the delayserver program takes --max-connections and refuses one it cannot hold") {
    const auto baseline = open_descriptor_count();
    {
        char self[4096];
        const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
        REQUIRE(n > 0);
        std::string path(self, static_cast<std::size_t>(n));
        path.erase(path.rfind('/') + 1);
        path += "delayserver";

        const auto zero = common::test::run_child(path, {"--max-connections", "0"}, kReadTimeout);
        CHECK(zero.err == "error: --max-connections: expected a positive number, got '0'\n");
        CHECK(zero.status == 1);
        const auto huge =
            common::test::run_child(path, {"--max-connections=1000000000"}, kReadTimeout);
        CHECK(common::test::contains(huge.err, "error: --max-connections: 1000000000 connections "
                                               "need more descriptors than the limit allows"));
        CHECK(huge.out.empty());
        CHECK(huge.status == 1);
        const auto help = common::test::run_child(path, {"--help"}, kReadTimeout);
        CHECK(common::test::contains(help.out, "--max-connections N"));
    }
    CHECK(open_descriptor_count() == baseline);
}
