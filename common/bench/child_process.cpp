// Implementation of child_process.hpp: fork + execv with pipes, a poll() loop bounded by a
// deadline, and waitpid. The driver is single-threaded, so fork is safe here (no other thread can
// hold a lock the child would inherit).
#include "child_process.hpp"

#include <common/error.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <thread>

#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kErrTailBytes = 8 * 1024;

struct Pipe {
    int read_end = -1;
    int write_end = -1;
};

Pipe make_pipe() {
    int fds[2];
    // O_CLOEXEC: the other children must not inherit our ends (a run that inherits the server's
    // stdout pipe would keep it open after the server is gone).
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        common::throw_errno("pipe2");
    }
    return {fds[0], fds[1]};
}

void close_fd(int& fd) {
    if (fd >= 0) {
        ::close(fd);
        fd = -1;
    }
}

// fork + execv. `out_fd` becomes the child's stdout; `err_fd` its stderr (-1: ours). The child
// asks for SIGKILL when the driver dies, so no load run or server outlives an interrupted driver.
pid_t spawn(const std::vector<std::string>& argv, int out_fd, int err_fd) {
    if (argv.empty()) {
        throw std::invalid_argument("spawn: empty command line");
    }
    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (const std::string& a : argv) {
        args.push_back(const_cast<char*>(a.c_str()));
    }
    args.push_back(nullptr);
    const pid_t parent = ::getpid();

    const pid_t pid = ::fork();
    if (pid < 0) {
        common::throw_errno("fork", argv[0]);
    }
    if (pid == 0) {
        // The child: only async-signal-safe calls from here to execv.
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) { // the driver died before prctl took effect
            ::_exit(1);
        }
        const int null_fd = ::open("/dev/null", O_RDONLY);
        if (null_fd >= 0) {
            ::dup2(null_fd, STDIN_FILENO);
        }
        ::dup2(out_fd, STDOUT_FILENO); // dup2 clears O_CLOEXEC on the new descriptor
        if (err_fd >= 0) {
            ::dup2(err_fd, STDERR_FILENO);
        }
        ::execv(args[0], args.data());
        const char* why = std::strerror(errno);
        const char prefix[] = "error: cannot execute ";
        [[maybe_unused]] auto w1 = ::write(STDERR_FILENO, prefix, sizeof prefix - 1);
        [[maybe_unused]] auto w2 = ::write(STDERR_FILENO, args[0], std::strlen(args[0]));
        [[maybe_unused]] auto w3 = ::write(STDERR_FILENO, ": ", 2);
        [[maybe_unused]] auto w4 = ::write(STDERR_FILENO, why, std::strlen(why));
        [[maybe_unused]] auto w5 = ::write(STDERR_FILENO, "\n", 1);
        ::_exit(127);
    }
    return pid;
}

int poll_timeout_ms(Clock::time_point deadline) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    return left.count() <= 0 ? 0 : static_cast<int>(left.count());
}

void record_status(ChildResult& result, int status) {
    if (WIFEXITED(status)) {
        result.exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        result.signal = WTERMSIG(status);
    }
}

} // namespace

std::string ChildResult::how_it_ended(std::chrono::milliseconds timeout) const {
    if (timed_out) {
        return "timed out after " + std::to_string(timeout.count() / 1000) + " s (killed)";
    }
    if (signal != 0) {
        return "killed by signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
    }
    return "exit " + std::to_string(exit_code);
}

ChildResult run_child(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
    Pipe out = make_pipe();
    Pipe err;
    try {
        err = make_pipe();
    } catch (...) {
        close_fd(out.read_end);
        close_fd(out.write_end);
        throw;
    }
    const auto start = Clock::now();
    const auto deadline = start + timeout;
    pid_t pid = -1;
    try {
        pid = spawn(argv, out.write_end, err.write_end);
    } catch (...) {
        close_fd(out.read_end);
        close_fd(out.write_end);
        close_fd(err.read_end);
        close_fd(err.write_end);
        throw;
    }
    // Our copies of the write ends must go, or the pipes never report end of file.
    close_fd(out.write_end);
    close_fd(err.write_end);

    ChildResult result;
    pollfd fds[2] = {{out.read_end, POLLIN, 0}, {err.read_end, POLLIN, 0}};
    std::string* sinks[2] = {&result.out, &result.err};
    int open_pipes = 2;
    char buffer[4096];
    while (open_pipes > 0) {
        const int timeout_ms = poll_timeout_ms(deadline);
        if (timeout_ms == 0) {
            result.timed_out = true;
            break;
        }
        const int n = ::poll(fds, 2, timeout_ms);
        if (n < 0 && errno != EINTR) {
            common::throw_errno("poll");
        }
        for (int k = 0; n > 0 && k < 2; ++k) {
            if (fds[k].fd < 0 || fds[k].revents == 0) {
                continue;
            }
            const ssize_t got = ::read(fds[k].fd, buffer, sizeof buffer);
            if (got > 0) {
                sinks[k]->append(buffer, static_cast<std::size_t>(got));
                if (k == 1 && result.err.size() > 2 * kErrTailBytes) { // keep stderr's tail only
                    result.err.erase(0, result.err.size() - kErrTailBytes);
                }
            } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
                ::close(fds[k].fd);
                fds[k].fd = -1; // poll() skips negative descriptors
                --open_pipes;
            }
        }
    }

    // Both pipes closed: the program is ending. Wait for it, still within the deadline.
    int status = 0;
    while (!result.timed_out) {
        const pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done == pid) {
            record_status(result, status);
            break;
        }
        if (done < 0 && errno != EINTR) {
            common::throw_errno("waitpid", argv[0]);
        }
        if (poll_timeout_ms(deadline) == 0) {
            result.timed_out = true;
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    if (result.timed_out) {
        ::kill(pid, SIGKILL);
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
    }
    for (pollfd& p : fds) {
        close_fd(p.fd);
    }
    result.wall = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    return result;
}

BackgroundProcess::BackgroundProcess(const std::vector<std::string>& argv,
                                     std::string_view ready_prefix,
                                     std::chrono::milliseconds timeout) {
    Pipe out = make_pipe();
    try {
        pid_ = spawn(argv, out.write_end, -1);
    } catch (...) {
        close_fd(out.read_end);
        close_fd(out.write_end);
        throw;
    }
    close_fd(out.write_end);
    stdout_fd_ = out.read_end;

    const auto deadline = Clock::now() + timeout;
    std::string seen;
    char buffer[512];
    for (;;) {
        // Look for a complete line that starts with the prefix.
        std::size_t line_start = 0;
        for (std::size_t nl = seen.find('\n'); nl != std::string::npos;
             line_start = nl + 1, nl = seen.find('\n', line_start)) {
            const std::string_view line(seen.data() + line_start, nl - line_start);
            if (line.substr(0, ready_prefix.size()) == ready_prefix) {
                ready_line_ = std::string(line);
                return;
            }
        }
        const int timeout_ms = poll_timeout_ms(deadline);
        pollfd p{stdout_fd_, POLLIN, 0};
        const int n = timeout_ms == 0 ? 0 : ::poll(&p, 1, timeout_ms);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        const ssize_t got = n > 0 ? ::read(stdout_fd_, buffer, sizeof buffer) : -1;
        if (got > 0) {
            seen.append(buffer, static_cast<std::size_t>(got));
            continue;
        }
        if (got < 0 && n > 0 && (errno == EINTR || errno == EAGAIN)) {
            continue;
        }
        const std::string why = n == 0 ? "printed no line starting with '" +
                                             std::string(ready_prefix) + "' within " +
                                             std::to_string(timeout.count()) + " ms"
                                       : "ended before it was ready";
        stop();
        throw std::runtime_error(argv[0] + ": " + why);
    }
}

BackgroundProcess::~BackgroundProcess() {
    stop();
}

bool BackgroundProcess::running() {
    if (pid_ < 0) {
        return false;
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
    }
    return true;
}

std::optional<long> BackgroundProcess::status_field(std::string_view name) const {
    if (pid_ < 0) {
        return std::nullopt;
    }
    std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.size() > name.size() && line.compare(0, name.size(), name) == 0 &&
            line[name.size()] == ':') {
            try {
                return std::stol(line.substr(name.size() + 1));
            } catch (const std::exception&) {
                return std::nullopt;
            }
        }
    }
    return std::nullopt;
}

void BackgroundProcess::stop() {
    if (pid_ >= 0) {
        ::kill(pid_, SIGTERM);
        const auto deadline = Clock::now() + std::chrono::seconds(2);
        int status = 0;
        for (;;) {
            const pid_t done = ::waitpid(pid_, &status, WNOHANG);
            if (done == pid_ || (done < 0 && errno != EINTR)) {
                break;
            }
            if (Clock::now() >= deadline) {
                ::kill(pid_, SIGKILL);
                ::waitpid(pid_, &status, 0);
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        pid_ = -1;
    }
    close_fd(stdout_fd_);
}

} // namespace bench
