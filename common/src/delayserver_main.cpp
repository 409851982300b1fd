// The `delayserver` program: the book's delay server for a terminal of its own, a thin shell
// around common::DelayServer (delay_server.cpp does the serving). The chapter programs talk to it
// with --server HOST:PORT; the benchmarks always use it rather than an embedded server.
#include "common/cli.hpp"
#include "common/delay_server.hpp"
#include "common/print.hpp"
#include "common/resources.hpp"

#include <charconv>
#include <exception>
#include <string>
#include <string_view>

#include <arpa/inet.h>
#include <csignal>
#include <netinet/in.h>
#include <pthread.h>

namespace {

constexpr std::string_view kUsage =
    "usage: delayserver [--host H] [--port P] [--max-connections N] [--quiet] [--help]\n"
    "\n"
    "The delay server of \"Asynchronous Programming in Rust\": GET /<delay_ms>/<message> is\n"
    "answered with the percent-decoded message after delay_ms milliseconds (at most 3600000),\n"
    "then the connection is closed. Each request is logged as `#<n> - <delay_ms>ms: <message>`.\n"
    "\n"
    "  --host H   IPv4 address to listen on (default 127.0.0.1)\n"
    "  --port P   port to listen on, 0 picks a free one (default 8080)\n"
    "  --max-connections N\n"
    "             connections held at once; one more is answered 503 at once (default\n"
    "             100000, lowered to fit the descriptor limit)\n"
    "  --quiet    do not log requests (the `listening on HOST:PORT` line is always printed)\n"
    "  --help     print this and exit\n"
    "\n"
    "Ctrl-C (SIGINT) or SIGTERM stops it.";

struct Command {
    common::DelayServerOptions options;
    bool max_connections_given = false; // else the default, lowered to fit the descriptor limit
    bool help = false;
};

// Descriptors the process needs besides its connections: standard streams, the listener, the
// epoll instance, the stop event, and one to accept (and turn away) a client over the cap.
constexpr std::size_t kReservedDescriptors = 16;

std::uint16_t parse_port(std::string_view text) {
    unsigned long port = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || port > 65535) {
        throw common::UsageError("--port: expected 0..65535, got '" + std::string(text) + "'");
    }
    return static_cast<std::uint16_t>(port);
}

std::size_t parse_max_connections(std::string_view text) {
    std::size_t n = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || n == 0) {
        throw common::UsageError("--max-connections: expected a positive number, got '" +
                                 std::string(text) + "'");
    }
    return n;
}

std::string parse_host(std::string_view text) {
    in_addr addr{};
    const std::string host(text);
    if (host != "localhost" && ::inet_pton(AF_INET, host.c_str(), &addr) != 1) {
        throw common::UsageError("--host: expected an IPv4 address or localhost, got '" + host +
                                 "'");
    }
    return host;
}

// Accepts `--flag value` and `--flag=value`. The program's defaults differ from the class's: it
// listens on the book's port 8080 and logs each request unless --quiet.
Command parse_command_line(int argc, char** argv) {
    Command command;
    command.options.port = 8080;
    command.options.quiet = false;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        std::string_view inline_value;
        bool has_inline_value = false;
        if (const auto eq = arg.find('=');
            arg.substr(0, 2) == "--" && eq != std::string_view::npos) {
            inline_value = arg.substr(eq + 1);
            arg = arg.substr(0, eq);
            has_inline_value = true;
        }
        const auto value = [&]() -> std::string_view {
            if (has_inline_value) {
                return inline_value;
            }
            if (i + 1 >= argc) {
                throw common::UsageError(std::string(arg) + ": missing value");
            }
            return argv[++i];
        };
        if (arg == "--help" || arg == "-h") {
            command.help = true;
        } else if (arg == "--quiet" && !has_inline_value) {
            command.options.quiet = true;
        } else if (arg == "--host") {
            command.options.host = parse_host(value());
        } else if (arg == "--port") {
            command.options.port = parse_port(value());
        } else if (arg == "--max-connections") {
            command.options.max_connections = parse_max_connections(value());
            command.max_connections_given = true;
        } else {
            throw common::UsageError(std::string(argv[i]) + ": unknown option (see --help)");
        }
    }
    return command;
}

} // namespace

int main(int argc, char** argv) {
    Command command;
    try {
        command = parse_command_line(argc, argv);
    } catch (const std::exception& e) {
        common::eprintln(std::string("error: ") + e.what());
        return 1;
    }
    if (command.help) {
        common::println(kUsage);
        return 0;
    }

    // Every connection costs a descriptor; the usual soft limit of 1024 would cap the server far
    // below what the benchmarks ask of it. The cap on connections must stay below the limit, so
    // that a client over the cap meets a quick 503 rather than a server out of descriptors.
    const std::size_t limit = common::raise_descriptor_limit();
    const std::size_t fits = limit > kReservedDescriptors ? limit - kReservedDescriptors : 1;
    if (command.options.max_connections > fits) {
        if (command.max_connections_given) {
            common::eprintln(
                "error: --max-connections: " + std::to_string(command.options.max_connections) +
                " connections need more descriptors than the limit allows (" +
                std::to_string(limit) + ")");
            return 1;
        }
        command.options.max_connections = fits;
    }

    // SIGINT and SIGTERM are blocked before the server thread starts (a new thread inherits the
    // mask), so neither interrupts it; main takes them synchronously with sigwait. No signal
    // handler runs, so nothing has to be async-signal-safe, and shutdown is ordinary code: the
    // server's destructor stops its thread and closes every connection.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    try {
        common::DelayServer server(command.options);
        // Always printed, even with --quiet, and flushed: a script that starts us with --port 0
        // reads the real port from this line.
        common::println("listening on " + server.endpoint().to_string());
        int signal_number = 0;
        while (sigwait(&stop_signals, &signal_number) != 0) {
        }
    } catch (const std::exception& e) {
        common::eprintln(std::string("error: ") + e.what());
        return 1;
    }
    return 0;
}
