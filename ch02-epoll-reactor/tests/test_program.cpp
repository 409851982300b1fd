// Tests of the program itself, run as a child process: the demo's answers arrive in reverse order
// and it ends with FINISHED; load mode prints exactly one summary line showing one thread; a
// silent server ends in "timed out", a refused one in the connect error, both with exit status 1.
// The child's end is awaited with a pidfd in a ch02 Poll, so even a hung program cannot hang this.
#include "ch02-epoll-reactor/src/poll.hpp"

#include <common/error.hpp>
#include <common/test_support/misbehaving_server.hpp>
#include <common/test_support/resources.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace {

struct Finished {
    int status = -1; // exit status, or -1 when the child did not exit normally in time
    std::string out; // everything on its stdout
    std::string err; // everything on its stderr
};

std::string read_all(std::FILE* file) {
    std::string text;
    char buffer[4096];
    std::rewind(file);
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, file)) > 0;) {
        text.append(buffer, n);
    }
    return text;
}

// Runs the chapter's program with `args`; kills it if it has not ended within `limit`.
Finished run_program(const std::vector<std::string>& args,
                     std::chrono::milliseconds limit = std::chrono::seconds(30)) {
    std::FILE* out = std::tmpfile();
    std::FILE* err = std::tmpfile();
    REQUIRE(out != nullptr);
    REQUIRE(err != nullptr);

    std::vector<std::string> all{CH02_PROGRAM_PATH};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& arg : all) {
        argv.push_back(arg.data());
    }
    argv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, ::fileno(out), STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, ::fileno(err), STDERR_FILENO);
    pid_t pid = 0;
    const int spawned = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    REQUIRE(spawned == 0);

    // A pidfd becomes readable when the process ends: wait for that with a timeout.
    common::Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    REQUIRE(pidfd);
    ch02::Poll poll;
    poll.registry().register_fd(pidfd.get(), ch02::Token{0}, ch02::Interest::readable());
    ch02::Events events(1);
    poll.poll(events, limit);
    if (events.empty()) {
        ::kill(pid, SIGKILL);
    }
    int wait_status = 0;
    ::waitpid(pid, &wait_status, 0);

    Finished finished;
    if (!events.empty() && WIFEXITED(wait_status)) {
        finished.status = WEXITSTATUS(wait_status);
    }
    finished.out = read_all(out);
    finished.err = read_all(err);
    std::fclose(out);
    std::fclose(err);
    return finished;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        const std::size_t end = text.find('\n', start);
        lines.push_back(text.substr(start, end - start));
        start = end == std::string::npos ? text.size() : end + 1;
    }
    return lines;
}

bool contains(const std::string& text, std::string_view part) {
    return text.find(part) != std::string::npos;
}

} // namespace

TEST_CASE("the demo prints the answers in reverse order and ends with FINISHED") {
    const auto baseline = common::test::open_descriptor_count();
    // --scale 20: delays 250, 200, 150, 100, 50 ms for request-0 .. request-4.
    const Finished run = run_program({"--scale", "20"});
    INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
    CHECK(run.status == 0);
    CHECK(run.err.empty());
    const auto lines = lines_of(run.out);
    REQUIRE(!lines.empty());
    CHECK(lines.front().starts_with("Using an embedded delay server on 127.0.0.1:"));
    CHECK(lines.back() == "FINISHED");

    // The bodies are the lines that say exactly "request-N"; they come last-sent-first.
    std::vector<std::string> bodies;
    std::size_t received = 0;
    for (const auto& line : lines) {
        if (line.starts_with("request-")) {
            bodies.push_back(line);
        }
        if (line.starts_with("RECEIVED: Event { token: ")) {
            ++received;
        }
    }
    CHECK(bodies == std::vector<std::string>{"request-4", "request-3", "request-2", "request-1",
                                             "request-0"});
    CHECK(received >= 5);
    // The embedded server logs each request as the book's delayserver does.
    CHECK(contains(run.out, "ms: request-0"));
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("load mode prints exactly one summary line, with one thread and the number of polls") {
    const auto baseline = common::test::open_descriptor_count();
    const Finished run = run_program({"--requests", "20", "--delay-ms", "50"});
    INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
    CHECK(run.status == 0);
    const auto lines = lines_of(run.out);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].starts_with("summary: chapter=ch02 requests=20 delay_ms=50 ok=20 elapsed_ms="));
    CHECK(contains(lines[0], " threads=1 "));
    CHECK(contains(lines[0], " polls="));
    CHECK(contains(run.err, "Using an embedded delay server")); // announced on stderr instead
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("load mode against a failing server prints the summary, then the error line") {
    const auto baseline = common::test::open_descriptor_count();
    {
        common::test::MisbehavingServer server(common::test::Misbehavior::CloseBeforeAnswer);
        const Finished run = run_program(
            {"--server", server.endpoint().to_string(), "--requests", "10", "--delay-ms", "10"});
        INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
        CHECK(run.status == 1);
        const auto lines = lines_of(run.out);
        REQUIRE(lines.size() == 1);
        CHECK(lines[0].starts_with("summary: chapter=ch02 requests=10 delay_ms=10 ok=0 "));
        CHECK(contains(run.err, "error: load: 10 of 10 failed: request "));
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("the demo against a server that never answers ends with 'timed out', exit status 1") {
    const auto baseline = common::test::open_descriptor_count();
    {
        common::test::MisbehavingServer server(common::test::Misbehavior::Silent);
        const Finished run =
            run_program({"--server", server.endpoint().to_string(), "--timeout-ms", "300"});
        INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
        CHECK(run.status == 1);
        CHECK(contains(run.out, "TIMEOUT (OR SPURIOUS EVENT NOTIFICATION)"));
        CHECK_FALSE(contains(run.out, "FINISHED"));
        CHECK(run.err.starts_with("error: "));
        CHECK(contains(run.err, "request-0"));
        CHECK(run.err.ends_with(": timed out\n"));
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("the demo against a refused port prints the connect error, exit status 1") {
    common::test::RefusedPort refused;
    const Finished run = run_program({"--server", refused.endpoint().to_string()});
    CHECK(run.status == 1);
    CHECK(run.err == "error: connect " + refused.endpoint().to_string() + ": Connection refused\n");
}

TEST_CASE("a bad --scale is a usage error") {
    const Finished run = run_program({"--scale", "0"});
    CHECK(run.status == 1);
    CHECK(run.err.starts_with("error: --scale: "));
    CHECK(run.out.empty());
}
