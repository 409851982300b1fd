// Tests of exercise ch01/02 (README.md says what each checks): a deadline that bounds the whole
// request, against a server that answers in time, one that never answers, and one that drips a
// byte every 30 ms — which a per-read timeout never notices.
#include "http_get_before.hpp"

#include <common/delay_server.hpp>
#include <common/fd.hpp>
#include <common/http.hpp>
#include <common/test_support/misbehaving_server.hpp>
#include <common/test_support/resources.hpp>
#include <common/test_support/watchdog.hpp>

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <netinet/in.h>
#include <poll.h>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <thread>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

// Accepts one connection on 127.0.0.1 (a free port) and sends it one byte every 30 ms, for at most
// 4 s, then closes. No HTTP: only the pace matters. Stops early when destroyed.
class DripServer {
public:
    DripServer() : listener_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(listener_.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) ==
                0);
        REQUIRE(::listen(listener_.get(), 4) == 0);
        socklen_t length = sizeof address;
        REQUIRE(::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&address), &length) ==
                0);
        port_ = ntohs(address.sin_port);
        thread_ = std::thread([this] { run(); });
    }
    ~DripServer() {
        stop_.store(true);
        thread_.join();
    }
    common::Endpoint endpoint() const { return {"127.0.0.1", port_}; }

private:
    void run() {
        pollfd waiting{.fd = listener_.get(), .events = POLLIN, .revents = 0};
        while (!stop_.load() && ::poll(&waiting, 1, 20) <= 0) {
        }
        if (stop_.load()) {
            return;
        }
        common::Fd connection(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
        const auto end = Clock::now() + 4s;
        while (!stop_.load() && Clock::now() < end) {
            ::send(connection.get(), "x", 1, MSG_NOSIGNAL);
            std::this_thread::sleep_for(30ms); // the drip's pace, not a wait for readiness
        }
    }

    common::Fd listener_;
    std::uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

} // namespace

TEST_CASE("a server that answers in time gives the body") {
    common::test::Watchdog watchdog;
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        common::DelayServer server;
        CHECK(ch01::exercise::http_get_before(server.endpoint(), common::delay_path(100, "in time"),
                                              2s) == "in time");
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("a silent server times out after about the deadline") {
    common::test::Watchdog watchdog;
    common::test::MisbehavingServer server(common::test::Misbehavior::Silent);
    const auto start = Clock::now();
    CHECK_THROWS_WITH(ch01::exercise::http_get_before(server.endpoint(), "/0/x", 300ms),
                      doctest::Contains("timed out"));
    const auto took = Clock::now() - start;
    CHECK(took >= 300ms);
    CHECK(took < 1500ms);
}

TEST_CASE("a server that drips a byte every 30 ms cannot stretch the deadline") {
    common::test::Watchdog watchdog;
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        DripServer server;
        const auto start = Clock::now();
        // Each read gets a byte within 30 ms, so a per-read timeout of 300 ms never fires and the
        // call would last the whole 4 s of the drip. The deadline must end it after 300 ms.
        CHECK_THROWS_WITH(ch01::exercise::http_get_before(server.endpoint(), "/0/x", 300ms),
                          doctest::Contains("timed out"));
        const auto took = Clock::now() - start;
        CHECK(took >= 300ms);
        CHECK(took < 1500ms);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}
