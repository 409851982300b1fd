// Tests of the misbehaving server in common's test support: each mode misbehaves exactly as
// promised against the plain blocking client of common/net.hpp, hundreds of connections are served
// (or held) at once, and the server leaves no descriptor behind. Chapters trust it as a fixture.
#include "common/test_support/misbehaving_server.hpp"
#include "common/test_support/resources.hpp"

#include "common/http.hpp"
#include "common/net.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <set>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include <poll.h>
#include <sys/socket.h>

namespace {

using namespace std::chrono_literals;
using common::test::Misbehavior;
using Clock = std::chrono::steady_clock;

// How long a client waits for a server that never finishes: long enough that a trickled byte
// (1–2 ms apart, more under a sanitizer) never trips it, short enough to keep the tests quick.
constexpr auto kReceiveTimeout = 300ms;

bool contains(std::string_view text, std::string_view part) {
    return text.find(part) != std::string_view::npos;
}

std::string name(Misbehavior m) {
    return std::string(common::test::to_string(m));
}

// One request with the plain blocking client, as chapter 1 makes it.
common::Fd send_request(const common::Endpoint& to) {
    common::Fd fd = common::connect_tcp(to);
    common::set_receive_timeout(fd.get(), kReceiveTimeout);
    common::write_all(fd.get(), common::get_request("/0/x"), to.to_string());
    return fd;
}

// Waits (bounded by `timeout`) until `fd` is readable; returns false on timeout.
bool wait_readable(int fd, std::chrono::milliseconds timeout) {
    pollfd p{fd, POLLIN, 0};
    int n;
    do {
        n = ::poll(&p, 1, static_cast<int>(timeout.count()));
    } while (n < 0 && errno == EINTR);
    return n > 0;
}

struct Client {
    common::Fd fd;
    std::string received;
    bool ended = false; // end of stream or an error
    int error = 0;      // errno of a failed read, 0 for a clean end of stream
};

// Opens `n` connections to `to` and sends each the request; the sockets are then non-blocking.
std::vector<Client> open_clients(const common::Endpoint& to, std::size_t n) {
    std::vector<Client> clients(n);
    for (auto& c : clients) {
        c.fd = common::connect_tcp(to);
        common::write_all(c.fd.get(), common::get_request("/0/x"), to.to_string());
        common::set_nonblocking(c.fd.get());
    }
    return clients;
}

// Drives every client with poll() until all have ended or `timeout` has passed (whichever is
// first); reads whatever arrives. Returns how many have ended.
std::size_t pump(std::vector<Client>& clients, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        std::vector<pollfd> fds;
        std::vector<Client*> owners;
        for (auto& c : clients) {
            if (!c.ended) {
                fds.push_back({c.fd.get(), POLLIN, 0});
                owners.push_back(&c);
            }
        }
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
        if (fds.empty() || left <= 0ms) {
            break;
        }
        const int n = ::poll(fds.data(), fds.size(), static_cast<int>(left.count()));
        if (n < 0 && errno != EINTR) {
            FAIL("poll failed: errno " << errno);
        }
        for (std::size_t i = 0; n > 0 && i < fds.size(); ++i) {
            if (fds[i].revents == 0) {
                continue;
            }
            Client& c = *owners[i];
            char buffer[4096];
            for (;;) {
                const ssize_t got = ::recv(c.fd.get(), buffer, sizeof buffer, 0);
                if (got > 0) {
                    c.received.append(buffer, static_cast<std::size_t>(got));
                    continue;
                }
                if (got == 0) {
                    c.ended = true;
                } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                    c.ended = true;
                    c.error = errno;
                }
                break;
            }
        }
    }
    return static_cast<std::size_t>(
        std::count_if(clients.begin(), clients.end(), [](const Client& c) { return c.ended; }));
}

} // namespace

TEST_CASE("every misbehaviour has its own name, and only Trickle may succeed") {
    std::set<std::string> names;
    for (const Misbehavior m : common::test::kAllMisbehaviors) {
        CHECK_FALSE(name(m).empty());
        names.insert(name(m));
        CHECK(common::test::must_fail(m) == (m != Misbehavior::Trickle));
    }
    CHECK(names.size() == std::size(common::test::kAllMisbehaviors));
    CHECK(common::test::needs_deadline(Misbehavior::Silent));
    CHECK(common::test::needs_deadline(Misbehavior::LongerBodyPromised));
    CHECK_FALSE(common::test::needs_deadline(Misbehavior::CloseMidBody));
    CHECK_FALSE(common::test::needs_deadline(Misbehavior::Trickle));
}

TEST_CASE("a misbehaving server nobody connects to starts and stops cleanly") {
    const std::size_t baseline = common::test::open_descriptor_count();
    for (const Misbehavior m : common::test::kAllMisbehaviors) {
        common::test::MisbehavingServer server(m);
        CHECK(server.mode() == m);
        CHECK(server.endpoint().host == "127.0.0.1");
        CHECK(server.endpoint().port != 0);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("each misbehaviour ends the blocking client's request the way it promises") {
    for (const Misbehavior mode : common::test::kAllMisbehaviors) {
        INFO("mode: " << name(mode));
        const std::size_t baseline = common::test::open_descriptor_count();
        {
            common::test::MisbehavingServer server(mode);
            const auto start = Clock::now();
            common::Fd fd = send_request(server.endpoint());
            std::string raw;
            std::string read_error;
            std::error_code read_code;
            try {
                raw = common::read_to_eof(fd.get(), common::kMaxResponseBytes, "server");
            } catch (const std::system_error& e) {
                read_error = e.what();
                read_code = e.code();
            } catch (const std::exception& e) {
                read_error = e.what();
            }
            const auto elapsed = Clock::now() - start;
            CAPTURE(read_error);

            if (mode == Misbehavior::Trickle) {
                REQUIRE(read_error.empty());
                CHECK(common::ok_body(raw) == common::test::kTrickleBody);
                // A valid response, as promised: content-length and connection: close.
                const auto response = common::parse_response(raw);
                CHECK(response.header("content-length") ==
                      std::to_string(common::test::kTrickleBody.size()));
                CHECK(response.header("connection") == "close");
                // ~60 bytes at least 1 ms apart: a fast answer means it did not trickle.
                CHECK(elapsed >= 30ms);
            } else if (common::test::needs_deadline(mode)) {
                CHECK(contains(read_error, "timed out"));
                CHECK(elapsed >= kReceiveTimeout - 50ms);
            } else if (mode == Misbehavior::Reset) {
                CHECK(read_code == std::errc::connection_reset);
                CHECK(contains(read_error, "reset"));
            } else {
                // The connection ends on its own; what arrived must not pass as a response.
                REQUIRE(read_error.empty());
                CHECK_THROWS_AS(common::ok_body(raw), common::HttpError);
                CHECK(elapsed < kReceiveTimeout); // ended by the server, not by our deadline
                if (mode == Misbehavior::CloseBeforeAnswer) {
                    CHECK(raw.empty());
                } else if (mode == Misbehavior::CloseMidBody) {
                    CHECK(contains(raw, "content-length: 32"));
                    CHECK(raw.size() - (raw.find("\r\n\r\n") + 4) == 10);
                } else if (mode == Misbehavior::Garbage) {
                    CHECK(contains(raw, std::string_view("\0", 1)));
                    CHECK(contains(raw, "\xff"));
                }
            }
        }
        CHECK(common::test::open_descriptor_count() == baseline);
    }
}

TEST_CASE("LongerBodyPromised sends its head and ten bytes, then keeps the connection open") {
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        common::test::MisbehavingServer server(Misbehavior::LongerBodyPromised);
        common::Fd fd = send_request(server.endpoint());
        std::string got;
        char buffer[4096];
        // Read until the promised head and 10 bytes are in (bounded by the receive timeout).
        while (got.find("\r\n\r\n") == std::string::npos ||
               got.size() < got.find("\r\n\r\n") + 4 + 10) {
            const ssize_t n = ::recv(fd.get(), buffer, sizeof buffer, 0);
            if (n <= 0) {
                break;
            }
            got.append(buffer, static_cast<std::size_t>(n));
        }
        CHECK(contains(got, "content-length: 1000"));
        CHECK(got.size() == got.find("\r\n\r\n") + 4 + 10);
        // ... and then nothing more: not a byte, not an end of stream.
        CHECK_FALSE(wait_readable(fd.get(), 100ms));
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("Trickle really sends its response in many small pieces") {
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        common::test::MisbehavingServer server(Misbehavior::Trickle);
        common::Fd fd = send_request(server.endpoint());
        std::string got;
        int reads = 0;
        char buffer[4096];
        for (;;) { // each recv is bounded by the receive timeout
            const ssize_t n = ::recv(fd.get(), buffer, sizeof buffer, 0);
            if (n <= 0) {
                CHECK(n == 0); // a clean end of stream, not an error or a timeout
                break;
            }
            got.append(buffer, static_cast<std::size_t>(n));
            ++reads;
        }
        CHECK(common::ok_body(got) == common::test::kTrickleBody);
        // Byte by byte would be one read per byte; allow for bytes that pile up while this
        // thread is descheduled, but a handful of reads would mean it sent in bulk.
        CHECK(reads > static_cast<int>(got.size() / 4));
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("the server waits for the whole request head before it misbehaves") {
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        common::test::MisbehavingServer server(Misbehavior::CloseBeforeAnswer);
        common::Fd fd = common::connect_tcp(server.endpoint());
        common::set_receive_timeout(fd.get(), kReceiveTimeout);
        const std::string request = common::get_request("/0/x");
        const std::size_t half = request.size() / 2;
        common::write_all(fd.get(), request.substr(0, half));
        // Half a request: the server must still be waiting (no end of stream yet).
        CHECK_FALSE(wait_readable(fd.get(), 100ms));
        common::write_all(fd.get(), request.substr(half));
        CHECK(common::read_to_eof(fd.get(), 100).empty()); // now it closes
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("a client that vanishes mid-trickle does not disturb the server") {
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        common::test::MisbehavingServer server(Misbehavior::Trickle);
        {
            common::Fd quitter = send_request(server.endpoint());
            char byte;
            CHECK(::recv(quitter.get(), &byte, 1, 0) == 1);
            // Closing with unread bytes pending makes the kernel answer with RST: the server's
            // next send fails with ECONNRESET or EPIPE, which must not raise SIGPIPE.
        }
        common::Fd fd = send_request(server.endpoint());
        CHECK(common::ok_body(common::read_to_eof(fd.get(), common::kMaxResponseBytes)) ==
              common::test::kTrickleBody);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("one Trickle server serves 200 concurrent connections") {
    constexpr std::size_t kClients = 200;
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        common::test::MisbehavingServer server(Misbehavior::Trickle);
        auto clients = open_clients(server.endpoint(), kClients);
        CHECK(pump(clients, 20'000ms) == kClients);
        std::size_t ok = 0;
        for (const auto& c : clients) {
            try {
                if (c.error == 0 && common::ok_body(c.received) == common::test::kTrickleBody) {
                    ++ok;
                }
            } catch (const common::HttpError& e) {
                INFO("received: " << c.received);
                FAIL_CHECK(e.what());
            }
        }
        CHECK(ok == kClients);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("one Silent server holds 200 concurrent connections, and closes them when destroyed") {
    constexpr std::size_t kClients = 200;
    const std::size_t baseline = common::test::open_descriptor_count();
    std::vector<Client> clients;
    {
        common::test::MisbehavingServer server(Misbehavior::Silent);
        clients = open_clients(server.endpoint(), kClients);
        // Held: for a while nothing arrives on any of them — no byte, no end of stream.
        CHECK(pump(clients, 300ms) == 0);
        for (const auto& c : clients) {
            CHECK(c.received.empty());
        }
    }
    // The destructor closed every connection: each client now sees a clean end of stream. A
    // connection the server had never accepted would see a reset instead (the listener closes
    // with it in its backlog), and one whose request was never read would too (unread data).
    CHECK(pump(clients, 10'000ms) == kClients);
    std::size_t clean = 0;
    for (const auto& c : clients) {
        clean += c.error == 0 && c.received.empty() ? 1 : 0;
    }
    CHECK(clean == kClients);
    clients.clear();
    CHECK(common::test::open_descriptor_count() == baseline);
}
