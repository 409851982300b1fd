// Tests of exercise ch03/01 (README.md says what each checks): the first poll never blocks, even
// against a server whose accept queue is full; a normal request still arrives through block_on; a
// refused connection is a clear error; no descriptor is left open.
#include "connecting_http_get.hpp"

#include "ch03-leaf-futures/src/runtime.hpp"

#include <common/delay_server.hpp>
#include <common/http.hpp>
#include <common/test_support/resources.hpp>
#include <common/test_support/watchdog.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <system_error>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

// A listening socket (127.0.0.1, free port, backlog 0) that never accepts, filled with pending
// connections until the kernel drops new handshakes: a connect to it now cannot complete.
struct FullAcceptQueue {
    common::Fd listener{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
    std::vector<common::Fd> fillers;
    std::uint16_t port = 0;

    FullAcceptQueue() {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
        REQUIRE(::listen(listener.get(), 0) == 0);
        socklen_t length = sizeof address;
        REQUIRE(::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&address), &length) == 0);
        port = ntohs(address.sin_port);
        for (int attempt = 0; attempt < 16; ++attempt) {
            common::Fd filler(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
            const int rc =
                ::connect(filler.get(), reinterpret_cast<sockaddr*>(&address), sizeof address);
            pollfd done{.fd = filler.get(), .events = POLLOUT, .revents = 0};
            const bool completed = rc == 0 || ::poll(&done, 1, 200) == 1;
            fillers.push_back(std::move(filler));
            if (!completed) {
                return; // this handshake was dropped: the queue is full
            }
        }
        FAIL("the accept queue never filled up");
    }
    common::Endpoint endpoint() const { return {"127.0.0.1", port}; }
};

} // namespace

TEST_CASE("the first poll returns at once even when the server's accept queue is full") {
    common::test::Watchdog watchdog;
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        FullAcceptQueue server;
        ch03::Runtime runtime;
        ch03::exercise::ConnectingHttpGet future(runtime.registry(), server.endpoint(), "/0/x",
                                                 ch02::Token{1});
        const auto start = Clock::now();
        const bool ready = future.poll().is_ready();
        CHECK_FALSE(ready);
        CHECK(Clock::now() - start < 500ms); // a blocking connect would wait for seconds here
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("against the delay server the body arrives through block_on") {
    common::test::Watchdog watchdog;
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        common::DelayServer server;
        ch03::Runtime runtime;
        ch03::exercise::ConnectingHttpGet future(runtime.registry(), server.endpoint(),
                                                 common::delay_path(100, "connected"),
                                                 ch02::Token{1});
        CHECK(runtime.block_on(future, Clock::now() + 5s) == "connected");
        CHECK_THROWS_AS(future.poll(), std::logic_error);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("a refused connection is an error that names the address") {
    common::test::Watchdog watchdog;
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        common::test::RefusedPort refused;
        ch03::Runtime runtime;
        ch03::exercise::ConnectingHttpGet future(runtime.registry(), refused.endpoint(), "/0/x",
                                                 ch02::Token{1});
        std::string message;
        try {
            runtime.block_on(future, Clock::now() + 5s);
        } catch (const std::system_error& e) {
            message = e.what();
        }
        CHECK(message.find("connect " + refused.endpoint().to_string()) != std::string::npos);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}
