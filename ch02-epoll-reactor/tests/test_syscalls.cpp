// Tests of book ch. 3's system-call examples (src/syscalls.hpp): each layer puts its bytes into a
// pipe and returns their count; the raw call and libc report a bad descriptor each their own way;
// `--example syscalls` writes the three lines to stdout with each layer's count, in the program
// too; a stdout that cannot be written ends it with the failing layer's error.
#include "ch02-epoll-reactor/src/syscalls.hpp"

#include <common/error.hpp>
#include <common/fd.hpp>
#include <common/test_support/capture.hpp>
#include <common/test_support/child_process.hpp>

#include <doctest/doctest.h>

#include <cerrno>
#include <cstdio>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

namespace {

struct Pipe {
    common::Fd read_end;
    common::Fd write_end;
};

Pipe make_pipe() {
    int fds[2];
    // Non-blocking, so a test whose write put nothing in the pipe fails instead of hanging.
    if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
        common::throw_errno("pipe2");
    }
    return Pipe{common::Fd(fds[0]), common::Fd(fds[1])};
}

// Reads what is in the pipe now (the writes were small, so all of it fits one read); "" if empty.
std::string drain(const common::Fd& fd, std::size_t expected) {
    std::string text(expected + 16, '\0');
    const ssize_t n = ::read(fd.get(), text.data(), text.size());
    if (n < 0 && errno == EAGAIN) {
        return {};
    }
    REQUIRE(n >= 0);
    text.resize(static_cast<std::size_t>(n));
    return text;
}

} // namespace

TEST_CASE("the raw system call writes the bytes and returns their count") {
    const Pipe pipe = make_pipe();
    const long n =
        ch02::raw_write(pipe.write_end.get(), ch02::kRawMessage.data(), ch02::kRawMessage.size());
    CHECK(n == static_cast<long>(ch02::kRawMessage.size()));
    CHECK(drain(pipe.read_end, ch02::kRawMessage.size()) == ch02::kRawMessage);
    // Part of a buffer: the count is what was asked for, not the length of the string.
    CHECK(ch02::raw_write(pipe.write_end.get(), "abcdef", 3) == 3);
    CHECK(drain(pipe.read_end, 3) == "abc");
}

TEST_CASE("libc's write writes the bytes and returns their count") {
    const Pipe pipe = make_pipe();
    const long n = ch02::libc_write(pipe.write_end.get(), ch02::kLibcMessage.data(),
                                    ch02::kLibcMessage.size());
    CHECK(n == static_cast<long>(ch02::kLibcMessage.size()));
    CHECK(drain(pipe.read_end, ch02::kLibcMessage.size()) == ch02::kLibcMessage);
}

TEST_CASE("a stream returns the bytes it took, and a failed stream returns -1") {
    std::ostringstream out;
    CHECK(ch02::stream_write(out, ch02::kCppMessage) ==
          static_cast<long>(ch02::kCppMessage.size()));
    CHECK(out.str() == ch02::kCppMessage);
    out.setstate(std::ios::badbit);
    CHECK(ch02::stream_write(out, ch02::kCppMessage) == -1);
}

TEST_CASE("a bad descriptor: the kernel returns -EBADF, libc returns -1 and sets errno") {
    int number = -1;
    {
        const Pipe pipe = make_pipe();
        number = pipe.write_end.get();
    } // closed: in this one-threaded test process nothing reopens the number meanwhile
    errno = 0;
    CHECK(ch02::raw_write(number, "x", 1) == -EBADF);
    CHECK(errno == 0); // the raw call knows nothing of errno
    CHECK(ch02::libc_write(number, "x", 1) == -1);
    CHECK(errno == EBADF);
}

TEST_CASE("a stdout that cannot be written ends the example with the raw layer's error") {
    // Descriptor 1 open for reading only: every write to it fails with EBADF.
    common::test::CapturedOutput out(STDOUT_FILENO); // puts the real stdout back at the end
    const common::Fd read_only(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    REQUIRE(read_only);
    REQUIRE(::dup2(read_only.get(), STDOUT_FILENO) == STDOUT_FILENO);
    std::string error;
    try {
        ch02::run_syscalls_example();
    } catch (const std::runtime_error& e) {
        error = e.what();
    }
    std::clearerr(stdout); // the heading's failed fwrite marked the C stream
    CHECK(error == "write: raw system call: Bad file descriptor");
}

TEST_CASE("--example syscalls writes the three lines to stdout, each layer with its count") {
    common::test::CapturedOutput out(STDOUT_FILENO);
    const int status = ch02::run_syscalls_example();
    const std::string text = out.finish();
    CHECK(status == 0);
    const std::vector<std::string> lines = common::test::lines_of(text);
    REQUIRE(lines.size() == 9);
    CHECK(lines[0].starts_with("=== Book ch. 3, ch03/a-raw-syscall and ch03/b-normal-syscall"));
    CHECK(lines[1] + "\n" == ch02::kRawMessage);
    CHECK(lines[2].ends_with(", no libc: the kernel returned 30"));
    CHECK(lines[3] + "\n" == ch02::kLibcMessage);
    CHECK(lines[4].ends_with("C function: returned 26"));
    CHECK(lines[5] + "\n" == ch02::kCppMessage);
    CHECK(lines[6] == "  ^ std::cout: the stream took 34 bytes, and its flush passed them to "
                      "libc's write");
    CHECK(lines[7].starts_with("To descriptor -1, which is never open, the raw call returns " +
                               std::to_string(-EBADF) + " = -EBADF "));
    CHECK(lines[8] == "libc's write returns -1 and sets errno to " + std::to_string(EBADF) +
                          " (Bad file descriptor).");
}

TEST_CASE("the program: --example syscalls exits 0 with the three lines in order") {
    const common::test::ChildRun run =
        common::test::run_child(CH02_PROGRAM_PATH, {"--example", "syscalls"});
    INFO("stdout:\n" << run.out << "\nstderr:\n" << run.err);
    CHECK(run.status == 0);
    CHECK(run.err.empty());
    const auto raw = run.out.find(ch02::kRawMessage);
    const auto libc = run.out.find(ch02::kLibcMessage);
    const auto cpp = run.out.find(ch02::kCppMessage);
    REQUIRE(raw != std::string::npos);
    REQUIRE(libc != std::string::npos);
    REQUIRE(cpp != std::string::npos);
    CHECK(raw < libc);
    CHECK(libc < cpp);
}

TEST_CASE("the program: a bad --example is one error line, exit status 1") {
    const common::test::ChildRun run =
        common::test::run_child(CH02_PROGRAM_PATH, {"--example", "sockets"});
    CHECK(run.status == 1);
    CHECK(run.out.empty());
    CHECK(run.err == "error: --example: expected one of syscalls, got 'sockets'\n");
}
