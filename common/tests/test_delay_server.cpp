// Tests of the delay server (common/delay_server.hpp) and the `delayserver` program: the answer,
// its delay and its order, a thousand clients at once, every kind of bad input, clients that leave
// or reset, and stopping with connections open. Each case runs its own server on 127.0.0.1 with a
// free port and checks that the process's descriptor count is back where it started.
#include "common/delay_server.hpp"
#include "common/fd.hpp"
#include "common/http.hpp"
#include "common/net.hpp"
#include "common/resources.hpp"
#include "common/test_support/child_process.hpp"
#include "common/test_support/resources.hpp"

#include <doctest/doctest.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using common::test::open_descriptor_count;

// Long enough for a slow sanitizer build, short enough that a hang fails quickly.
constexpr auto kReadTimeout = 10s;

common::Fd connect_to(const common::DelayServer& server) {
    common::Fd fd = common::connect_tcp(server.endpoint());
    common::set_receive_timeout(fd.get(), kReadTimeout);
    return fd;
}

// Sends `raw` on a new connection and returns everything the server sent before it closed.
std::string round_trip(const common::DelayServer& server, std::string_view raw) {
    const common::Fd fd = connect_to(server);
    common::write_all(fd.get(), raw);
    return common::read_to_eof(fd.get(), common::kMaxResponseBytes);
}

std::string get(const common::DelayServer& server, std::string_view path) {
    return round_trip(server, common::get_request(path));
}

// Closes with SO_LINGER {on, 0}: the kernel drops the connection with RST instead of FIN.
void reset_connection(common::Fd& fd) {
    const linger abort_on_close{1, 0};
    ::setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
    fd.reset();
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

// The unique message of client i in the many-clients test: "c17".
std::string client_message(std::size_t i) {
    std::string message = "c";
    message += std::to_string(i);
    return message;
}

// Whether bytes (or EOF) are waiting on `fd` right now, without waiting.
bool readable_now(int fd) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, 0) > 0;
}

} // namespace

TEST_CASE("the delay server answers GET /<delay>/<message> with the message after the delay") {
    const auto baseline = open_descriptor_count();
    {
        common::DelayServer server;
        const auto start = Clock::now();
        const std::string raw = get(server, "/200/hello");
        const auto elapsed = Clock::now() - start;

        CHECK(raw.substr(0, 17) == "HTTP/1.1 200 OK\r\n");
        const common::Response response = common::parse_response(raw);
        CHECK(response.status == 200);
        CHECK(response.body == "hello");
        CHECK(response.header("content-length") == "5");
        CHECK(response.header("content-type") == "text/plain; charset=utf-8");
        CHECK(response.header("connection") == "close");
        CHECK(elapsed >= 200ms);
        CHECK(elapsed < 5s);
    }
    CHECK(open_descriptor_count() == baseline);
}

TEST_CASE("the delay server percent-decodes the message") {
    const auto baseline = open_descriptor_count();
    {
        common::DelayServer server;
        CHECK(common::ok_body(get(server, "/50/Hello%20World")) == "Hello World");
        CHECK(common::ok_body(get(server, common::delay_path(0, "ä/ö? 100%"))) == "ä/ö? 100%");
    }
    CHECK(open_descriptor_count() == baseline);
}

TEST_CASE("the delay server's message is the whole rest of the path after the delay") {
    const auto baseline = open_descriptor_count();
    {
        common::DelayServer server;
        CHECK(common::ok_body(get(server, "/100/a/b")) == "a/b");
        CHECK(common::ok_body(get(server, "/0/")) == "");
        CHECK(common::ok_body(get(server, "/007/x")) == "x"); // leading zeros are still 7 ms
    }
    CHECK(open_descriptor_count() == baseline);
}

TEST_CASE("the delay server answers a thousand concurrent requests in about one delay") {
    constexpr std::size_t kClients = 1000;
    constexpr long kDelayMs = 200;
    // Each request costs two descriptors in this process: the client's and the server's.
    common::require_descriptors(2 * kClients + 64);
    const auto baseline = open_descriptor_count();
    {
        common::DelayServer server;
        std::vector<common::Fd> clients;
        std::vector<pollfd> polled;
        std::vector<std::string> received(kClients);
        clients.reserve(kClients);
        polled.reserve(kClients);

        // Connect and send with blocking calls (on loopback both finish at once, the server
        // need not have accepted yet), then wait for all answers at once with poll().
        const auto start = Clock::now();
        for (std::size_t i = 0; i < kClients; ++i) {
            common::Fd fd = common::connect_tcp(server.endpoint());
            common::write_all(fd.get(),
                              common::get_request(common::delay_path(kDelayMs, client_message(i))));
            common::set_nonblocking(fd.get());
            polled.push_back(pollfd{fd.get(), POLLIN, 0});
            clients.push_back(std::move(fd));
        }
        std::size_t open = kClients;
        std::size_t errors = 0;
        const auto give_up = start + 30s;
        while (open > 0 && Clock::now() < give_up) {
            const int ready = ::poll(polled.data(), polled.size(), 100);
            REQUIRE((ready >= 0 || errno == EINTR));
            for (std::size_t i = 0; i < kClients && ready > 0; ++i) {
                if (polled[i].fd < 0 || polled[i].revents == 0) {
                    continue;
                }
                char buffer[4096];
                for (;;) {
                    const ssize_t n = ::recv(polled[i].fd, buffer, sizeof buffer, 0);
                    if (n > 0) {
                        received[i].append(buffer, static_cast<std::size_t>(n));
                        continue;
                    }
                    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
                        break;
                    }
                    errors += n < 0 ? 1 : 0;
                    polled[i].fd = -1; // done: poll() skips negative descriptors
                    --open;
                    break;
                }
            }
        }
        const auto elapsed = Clock::now() - start;
        REQUIRE(open == 0);
        CHECK(errors == 0);

        std::size_t right = 0;
        for (std::size_t i = 0; i < kClients; ++i) {
            try {
                right += common::ok_body(received[i]) == client_message(i) ? 1 : 0;
            } catch (const common::HttpError& e) {
                MESSAGE("request " << i << ": " << e.what());
            }
        }
        CHECK(right == kClients);
        // Concurrent: about one delay, nowhere near the 200 s of one request after the other.
        CHECK(elapsed >= std::chrono::milliseconds(kDelayMs));
        CHECK(elapsed < 5s);

        server.stop();
        CHECK(server.answered() == kClients);
    }
    CHECK(open_descriptor_count() == baseline);
}

TEST_CASE("the delay server answers in the order of deadlines, not of arrival") {
    const auto baseline = open_descriptor_count();
    {
        common::DelayServer server;
        const common::Fd slow = connect_to(server);
        common::write_all(slow.get(), common::get_request("/300/a"));
        const common::Fd fast = connect_to(server);
        common::write_all(fast.get(), common::get_request("/100/b"));

        // b arrived second but is due 200 ms earlier: when it is complete, a has sent nothing.
        CHECK(common::ok_body(common::read_to_eof(fast.get(), common::kMaxResponseBytes)) == "b");
        CHECK_FALSE(readable_now(slow.get()));
        CHECK(common::ok_body(common::read_to_eof(slow.get(), common::kMaxResponseBytes)) == "a");
    }
    CHECK(open_descriptor_count() == baseline);
}

TEST_CASE("the delay server answers bad requests with a 4xx status and closes the connection") {
    struct BadRequest {
        std::string name;
        std::string raw;
        int status;
    };
    const std::vector<BadRequest> cases = {
        {"no spaces", "HELLO\r\n\r\n", 400},
        {"missing HTTP version", "GET /100/x\r\n\r\n", 400},
        {"unknown HTTP version text", "GET /100/x HTPT/1.1\r\n\r\n", 400},
        {"extra word after the version", "GET /100/x HTTP/1.1 please\r\n\r\n", 400},
        {"HTTP/2.0 request line", "GET /100/x HTTP/2.0\r\n\r\n", 505},
        {"non-numeric delay", "GET /abc/x HTTP/1.1\r\n\r\n", 400},
        {"negative delay", "GET /-5/x HTTP/1.1\r\n\r\n", 400},
        {"signed delay", "GET /+5/x HTTP/1.1\r\n\r\n", 400},
        {"overflowing delay", "GET /99999999999999999999999999/x HTTP/1.1\r\n\r\n", 400},
        {"delay above one hour", "GET /3600001/x HTTP/1.1\r\n\r\n", 400},
        {"no message part", "GET /100 HTTP/1.1\r\n\r\n", 400},
        {"no leading slash", "GET 100/x HTTP/1.1\r\n\r\n", 400},
        {"empty delay", "GET //x HTTP/1.1\r\n\r\n", 400},
        {"malformed percent escape", "GET /100/%zz HTTP/1.1\r\n\r\n", 400},
        {"truncated percent escape", "GET /100/ab%4 HTTP/1.1\r\n\r\n", 400},
        {"POST", "POST /100/x HTTP/1.1\r\ncontent-length: 0\r\n\r\n", 405},
        {"DELETE", "DELETE /100/x HTTP/1.1\r\n\r\n", 405},
        {"lower-case get (methods are case-sensitive)", "get /100/x HTTP/1.1\r\n\r\n", 405},
        {"path over 2 KiB", "GET /100/" + std::string(3000, 'a') + " HTTP/1.1\r\n\r\n", 414},
        {"path over 8 KiB, line never ends", "GET /100/" + std::string(9000, 'a'), 414},
        {"head over 8 KiB, never ends",
         "GET /100/x HTTP/1.1\r\nx-filler: " + std::string(9000, 'a'), 431},
        {"head over 8 KiB, complete",
         "GET /100/x HTTP/1.1\r\nx-filler: " + std::string(9000, 'a') + "\r\n\r\n", 431},
        {"binary garbage",
         std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\xff\r\n\r\n", 16), 400},
        {"binary garbage without an end", std::string("\x00\x01\x02\xff\xfe", 5), 400},
        {"NUL inside the path", std::string("GET /100/a\0b HTTP/1.1\r\n\r\n", 25), 400},
    };

    const auto baseline = open_descriptor_count();
    {
        common::DelayServer server;
        const auto with_server = open_descriptor_count();
        for (const BadRequest& bad : cases) {
            CAPTURE(bad.name);
            const auto start = Clock::now();
            // round_trip() returns only at EOF: the server closed the connection.
            const std::string raw = round_trip(server, bad.raw);
            const common::Response response = common::parse_response(raw);
            CHECK(response.status == bad.status);
            CHECK(response.header("connection") == "close");
            CHECK(!response.body.empty()); // the reason, for a human
            if (bad.status == 405) {
                CHECK(response.header("allow") == "GET");
            }
            CHECK(Clock::now() - start < 2s); // answered at once, not after a delay or timeout
            // Both ends are closed: the server kept no descriptor for this client.
            CHECK(open_descriptor_count() == with_server);
        }
        // Still serving.
        CHECK(common::ok_body(get(server, "/10/fine")) == "fine");
        server.stop();
        CHECK(server.answered() == 1);
    }
    CHECK(open_descriptor_count() == baseline);
}

TEST_CASE("the delay server answers 408 when a request head does not arrive in time") {
    const auto baseline = open_descriptor_count();
    {
        common::DelayServerOptions options;
        options.idle_timeout = 200ms;
        common::DelayServer server(options);

        const auto start = Clock::now();
        const common::Fd silent = connect_to(server); // sends nothing at all
        const common::Fd partial_line = connect_to(server);
        common::write_all(partial_line.get(), "GET /100/x HT");
        const common::Fd no_blank_line = connect_to(server);
        common::write_all(no_blank_line.get(), "GET /100/x HTTP/1.1\r\nHost: y\r\n");
        // A request that is complete but waits longer than the idle timeout is not cut short:
        // the timeout is about the head, not the answer.
        const common::Fd slow_answer = connect_to(server);
        common::write_all(slow_answer.get(), common::get_request("/500/patience"));

        for (const common::Fd* fd : {&silent, &partial_line, &no_blank_line}) {
            const auto raw = common::read_to_eof(fd->get(), common::kMaxResponseBytes);
            CHECK(common::parse_response(raw).status == 408);
        }
        const auto timed_out = Clock::now() - start;
        CHECK(timed_out >= 200ms);
        CHECK(timed_out < 3s);
        CHECK(common::ok_body(common::read_to_eof(slow_answer.get(), common::kMaxResponseBytes)) ==
              "patience");
    }
    CHECK(open_descriptor_count() == baseline);
}

TEST_CASE("the delay server ignores bytes after the request head and accepts heads in pieces") {
    const auto baseline = open_descriptor_count();
    {
        common::DelayServer server;
        // Trailing bytes are read and dropped before the close, so the client gets a clean FIN
        // (unread bytes would make close() send RST, and read_to_eof would fail).
        CHECK(common::ok_body(
                  round_trip(server, "GET /50/x HTTP/1.1\r\nHost: h\r\n\r\nGARBAGE\x01")) == "x");
        CHECK(common::ok_body(round_trip(server, "GET /50/y HTTP/1.1\r\n\r\n" +
                                                     std::string(100000, 'z'))) == "y");
        // Bare line feeds, as some hand-typed clients send.
        CHECK(common::ok_body(round_trip(server, "GET /50/lf HTTP/1.0\nHost: h\n\n")) == "lf");

        // A head written in several pieces (the server may or may not see them apart: both work).
        const common::Fd fd = connect_to(server);
        for (const std::string_view piece :
             {"GE", "T /50/pie", "ces HTTP/1.1\r\n", "Host: h\r", "\n\r\n"}) {
            common::write_all(fd.get(), piece);
        }
        CHECK(common::ok_body(common::read_to_eof(fd.get(), common::kMaxResponseBytes)) ==
              "pieces");
    }
    CHECK(open_descriptor_count() == baseline);
}

TEST_CASE("the delay server shrugs off a client that leaves before its answer") {
    const auto baseline = open_descriptor_count();
    {
        common::DelayServer server;
        const auto with_server = open_descriptor_count();
        {
            // Sends its request and closes at once: the server's answer, 50 ms later, goes to a
            // closed socket. A write there must not raise SIGPIPE (it would end this process).
            common::Fd gone = connect_to(server);
            common::write_all(gone.get(), common::get_request("/50/nobody-listens"));
        }
        {
            // Leaves after sending half a request.
            common::Fd half = connect_to(server);
            common::write_all(half.get(), "GET /50/ha");
        }
        // A client that got its answer and closes without reading it.
        common::Fd unread = connect_to(server);
        common::write_all(unread.get(), common::get_request("/0/unread"));

        // The next request is served normally, and by the time it is answered (its deadline is
        // later than the others') the server has closed the departed clients' connections.
        CHECK(common::ok_body(get(server, "/200/still-here")) == "still-here");
        unread.reset();
        CHECK(common::ok_body(get(server, "/10/and-again")) == "and-again");
        CHECK(open_descriptor_count() == with_server);
    }
    CHECK(open_descriptor_count() == baseline);
}

TEST_CASE("the delay server drops a client that resets its connection") {
    const auto baseline = open_descriptor_count();
    {
        common::DelayServer server;
        const auto with_server = open_descriptor_count();
        common::Fd waiting = connect_to(server);
        common::write_all(waiting.get(), common::get_request("/100/reset-while-waiting"));
        common::Fd reading = connect_to(server);
        common::write_all(reading.get(), "GET /100/reset-while-rea");
        common::Fd idle = connect_to(server);
        reset_connection(waiting);
        reset_connection(reading);
        reset_connection(idle);

        CHECK(common::ok_body(get(server, "/200/unharmed")) == "unharmed");
        CHECK(open_descriptor_count() == with_server);
        server.stop();
        CHECK(server.answered() == 1); // the reset clients were not answered, or counted
    }
    CHECK(open_descriptor_count() == baseline);
}

TEST_CASE("the delay server waits without spinning when it runs out of descriptors") {
    const auto baseline = open_descriptor_count();
    {
        common::DelayServer server;
        // The client's socket exists before the table is filled; connecting needs no new one.
        const common::Fd client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        REQUIRE(client);

        // Fill this process's descriptor table under a lowered limit, so the server's accept4()
        // fails with EMFILE.
        rlimit old_limit{};
        REQUIRE(::getrlimit(RLIMIT_NOFILE, &old_limit) == 0);
        rlimit low_limit = old_limit;
        low_limit.rlim_cur = open_descriptor_count() + 8;
        REQUIRE(::setrlimit(RLIMIT_NOFILE, &low_limit) == 0);
        std::vector<common::Fd> fillers;
        for (;;) {
            common::Fd filler(::fcntl(client.get(), F_DUPFD_CLOEXEC, 0));
            if (!filler) {
                break;
            }
            fillers.push_back(std::move(filler));
        }
        const bool table_full = errno == EMFILE;

        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(server.port());
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        const int connected =
            ::connect(client.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
        common::set_receive_timeout(client.get(), kReadTimeout);
        common::write_all(client.get(), common::get_request("/0/patience"));

        // While the table is full the request waits in the backlog: no answer, and the server
        // thread must not spin on the listener meanwhile (that would burn a core).
        rusage before{};
        ::getrusage(RUSAGE_SELF, &before);
        pollfd p{client.get(), POLLIN, 0};
        const int ready = ::poll(&p, 1, 300);
        rusage after{};
        ::getrusage(RUSAGE_SELF, &after);
        const auto cpu_us = [](const rusage& r) {
            return (r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1000000L + r.ru_utime.tv_usec +
                   r.ru_stime.tv_usec;
        };

        fillers.clear();
        REQUIRE(::setrlimit(RLIMIT_NOFILE, &old_limit) == 0);

        REQUIRE(table_full);
        REQUIRE(connected == 0);
        CHECK(ready == 0);
        // A paused server uses microseconds of CPU here; a spinning one its whole share of a core
        // (even on a busy machine far more than this bound, a tenth of the window).
        CHECK(cpu_us(after) - cpu_us(before) < 30000);
        // With descriptors free again the paused accept resumes (within its 100 ms retry).
        CHECK(common::ok_body(common::read_to_eof(client.get(), common::kMaxResponseBytes)) ==
              "patience");
    }
    CHECK(open_descriptor_count() == baseline);
}

TEST_CASE("stopping the delay server closes the connections still waiting") {
    const auto baseline = open_descriptor_count();
    {
        auto server = std::make_unique<common::DelayServer>();
        const common::Fd waiting = connect_to(*server);
        common::write_all(waiting.get(), common::get_request("/60000/too-late"));
        const common::Fd partial = connect_to(*server);
        common::write_all(partial.get(), "GET /1");
        const common::Fd idle = connect_to(*server);
        // Make sure the server has taken the request in (else it might be still in the backlog,
        // which is reset too, but then the waiting phase would go untested).
        CHECK(common::ok_body(get(*server, "/0/sync")) == "sync");

        const auto start = Clock::now();
        server.reset(); // destroys it: stop(), then close everything
        for (const common::Fd* fd : {&waiting, &partial, &idle}) {
            CHECK(sees_close(fd->get())); // EOF or reset, not a 10 s receive timeout
        }
        CHECK(Clock::now() - start < 5s);
    }
    CHECK(open_descriptor_count() == baseline);
}

TEST_CASE("the delay server's stop() may be called twice and refuses connections afterwards") {
    const auto baseline = open_descriptor_count();
    {
        common::DelayServer server;
        CHECK(common::ok_body(get(server, "/0/once")) == "once");
        server.stop();
        server.stop();
        CHECK(server.answered() == 1);
        CHECK_THROWS_AS(common::connect_tcp(server.endpoint()), std::system_error);
    } // and the destructor calls it a third time
    CHECK(open_descriptor_count() == baseline);
}

TEST_CASE("the delay server reports an address it cannot bind") {
    const auto baseline = open_descriptor_count();
    {
        common::DelayServerOptions options;
        options.host = "not-an-address";
        CHECK_THROWS_AS(common::DelayServer{options}, std::system_error);

        const common::DelayServer first;
        options.host = "127.0.0.1";
        options.port = first.port(); // in use
        CHECK_THROWS_AS(common::DelayServer{options}, std::system_error);
    }
    CHECK(open_descriptor_count() == baseline); // a failed constructor leaves nothing open
}

// ---- the program ------------------------------------------------------------------------------

namespace {

// The `delayserver` program sits next to this test binary in the build tree.
std::string program_path() {
    char self[4096];
    const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    REQUIRE(n > 0);
    std::string path(self, static_cast<std::size_t>(n));
    path.erase(path.rfind('/') + 1);
    path += "delayserver";
    REQUIRE_MESSAGE(::access(path.c_str(), X_OK) == 0, "build the delayserver target: " << path);
    return path;
}

// A child process with its stdout and stderr on pipes.
struct Child {
    pid_t pid = -1;
    common::Fd out;
    common::Fd err;
};

Child spawn(const std::vector<std::string>& args) {
    const std::string path = program_path();
    int out[2];
    int err[2];
    REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
    REQUIRE(::pipe2(err, O_CLOEXEC) == 0);
    Child child;
    child.out.reset(out[0]);
    child.err.reset(err[0]);
    common::Fd out_write(out[1]);
    common::Fd err_write(err[1]);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out_write.get(), 1);
    posix_spawn_file_actions_adddup2(&actions, err_write.get(), 2);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(path.c_str()));
    for (const std::string& arg : args) {
        argv.push_back(const_cast<char*>(arg.c_str()));
    }
    argv.push_back(nullptr);
    const int rc = posix_spawn(&child.pid, path.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    REQUIRE(rc == 0);
    return child;
}

// Reads from a pipe until `done` says the text is enough or EOF, within a deadline.
std::string read_pipe(int fd, const std::function<bool(const std::string&)>& done) {
    std::string text;
    const auto give_up = Clock::now() + kReadTimeout;
    while (!done(text) && Clock::now() < give_up) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0) {
            continue;
        }
        char buffer[1024];
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n <= 0) {
            break;
        }
        text.append(buffer, static_cast<std::size_t>(n));
    }
    return text;
}

std::string read_line(int fd) {
    std::string line =
        read_pipe(fd, [](const std::string& t) { return t.find('\n') != std::string::npos; });
    return line.substr(0, line.find('\n'));
}

std::string read_all(int fd) {
    return read_pipe(fd, [](const std::string&) { return false; });
}

// Waits for the child to exit (it closed its pipes, so it is exiting) and returns its status.
int exit_status(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    REQUIRE(WIFEXITED(status));
    return WEXITSTATUS(status);
}

} // namespace

TEST_CASE("the delayserver program announces its port, logs requests and stops on SIGTERM") {
    const auto baseline = open_descriptor_count();
    {
        Child child = spawn({"--port", "0"});
        const std::string announced = read_line(child.out.get());
        REQUIRE(announced.rfind("listening on 127.0.0.1:", 0) == 0);
        const common::Endpoint where = common::parse_endpoint(announced.substr(13));

        const common::Fd fd = common::connect_tcp(where);
        common::set_receive_timeout(fd.get(), kReadTimeout);
        common::write_all(fd.get(), common::get_request("/50/hi%20there"));
        CHECK(common::ok_body(common::read_to_eof(fd.get(), common::kMaxResponseBytes)) ==
              "hi there");
        CHECK(read_line(child.out.get()) == "#1 - 50ms: hi there");

        REQUIRE(::kill(child.pid, SIGTERM) == 0);
        CHECK(read_all(child.out.get()).empty()); // EOF: it exited
        CHECK(exit_status(child.pid) == 0);
        CHECK(read_all(child.err.get()).empty());
    }
    CHECK(open_descriptor_count() == baseline);
}

TEST_CASE("the delayserver program prints one error line for a bad command line") {
    const auto baseline = open_descriptor_count();
    {
        const std::string path = program_path();
        const auto bad_port = common::test::run_child(path, {"--port", "x"}, kReadTimeout);
        CHECK(bad_port.err == "error: --port: expected 0..65535, got 'x'\n");
        CHECK(bad_port.out.empty());
        CHECK(bad_port.status == 1);

        const auto unknown = common::test::run_child(path, {"--frobnicate"}, kReadTimeout);
        CHECK(unknown.err == "error: --frobnicate: unknown option (see --help)\n");
        CHECK(unknown.status == 1);

        const auto bad_host = common::test::run_child(path, {"--host=example"}, kReadTimeout);
        CHECK(bad_host.err ==
              "error: --host: expected an IPv4 address or localhost, got 'example'\n");
        CHECK(bad_host.status == 1);

        const auto help = common::test::run_child(path, {"--help"}, kReadTimeout);
        CHECK(help.out.rfind("usage: delayserver", 0) == 0);
        CHECK(help.status == 0);
    }
    CHECK(open_descriptor_count() == baseline);
}
