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

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
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
