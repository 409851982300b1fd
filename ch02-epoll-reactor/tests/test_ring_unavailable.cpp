// What happens where the kernel refuses io_uring, made to happen here: a child process installs a
// seccomp filter that makes io_uring_setup fail with EPERM (as a container's default profile
// does), then runs the program with `--reactor uring`. It must print one line
// `error: io_uring unavailable: <reason>` and exit 1 — not crash, not hang, not fall back silently.
#include <common/fd.hpp>

#include <doctest/doctest.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <string>

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

// In the child, between fork and exec: only async-signal-safe calls. io_uring_setup fails with
// EPERM from now on; every other system call is allowed.
void forbid_io_uring() {
    sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW), // another architecture: leave it alone
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    sock_fprog program{static_cast<unsigned short>(sizeof filter / sizeof filter[0]), filter};
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0) {
        ::_exit(3);
    }
}

struct Result {
    int status = -1;
    std::string err;
};

// Runs the program under the filter; stderr is collected, the whole run bounded by 20 s.
Result run_without_io_uring() {
    int pipe_fds[2];
    REQUIRE(::pipe2(pipe_fds, O_CLOEXEC) == 0);
    common::Fd read_end(pipe_fds[0]);
    common::Fd write_end(pipe_fds[1]);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::dup2(write_end.get(), STDERR_FILENO);
        const int null = ::open("/dev/null", O_WRONLY);
        ::dup2(null, STDOUT_FILENO);
        forbid_io_uring();
        const char* argv[] = {CH02_PROGRAM_PATH, "--reactor", "uring", "--scale", "100", nullptr};
        ::execv(argv[0], const_cast<char* const*>(argv));
        ::_exit(4);
    }
    write_end.reset();
    Result result;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    char buffer[512];
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            give_up - std::chrono::steady_clock::now());
        pollfd p{read_end.get(), POLLIN, 0};
        if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
            ::kill(pid, SIGKILL); // hung: fail below with status -1
            break;
        }
        const ssize_t n = ::read(read_end.get(), buffer, sizeof buffer);
        if (n <= 0) {
            break; // the child closed stderr: it has exited
        }
        result.err.append(buffer, static_cast<std::size_t>(n));
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

} // namespace

TEST_CASE("ring demo where io_uring is refused: one 'io_uring unavailable' line and exit 1") {
#if !defined(__x86_64__)
    MESSAGE("SKIPPED: the seccomp filter here is written for x86-64 system call numbers");
    return;
#endif
    const Result run = run_without_io_uring();
    INFO("stderr:\n" << run.err);
    CHECK(run.status == 1);
    CHECK(run.err == "error: io_uring unavailable: io_uring_setup: not permitted "
                     "(kernel.io_uring_disabled, or a seccomp filter)\n");
}
