// Starting the programs the benchmark driver measures: a run of a chapter's load mode (stdout and
// stderr captured, killed when it overruns its time) and the one long-lived delay server. Part of
// the driver in common/bench; plain POSIX (fork, pipes, poll, waitpid), nothing the chapters use.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <sys/types.h>

namespace bench {

// How one run of a program ended, and what it printed.
struct ChildResult {
    bool timed_out = false; // it overran its time and was killed (SIGKILL)
    int exit_code = -1;     // when it exited by itself
    int signal = 0;         // when a signal ended it (0: none)
    std::string out;        // everything it wrote on stdout
    std::string err;        // the last few KiB it wrote on stderr (enough for its `error:` line)
    std::chrono::milliseconds wall{0};

    bool exited_zero() const { return !timed_out && signal == 0 && exit_code == 0; }
    // "exit 1", "killed by signal 11", "timed out after 60 s (killed)".
    std::string how_it_ended(std::chrono::milliseconds timeout) const;
};

// Runs `argv` (argv[0] is the program's path) with stdin from /dev/null and waits for it to end,
// at most `timeout`; past that it is killed and the result says timed_out. Throws
// std::system_error only when the process cannot be started at all (fork or pipe failing);
// a program that cannot be executed ends with exit code 127 and says why on its stderr.
ChildResult run_child(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

// A program that runs in the background while the driver works: the delay server. Its stderr is
// the driver's; its stdout is read until a line starting with `ready_prefix` arrives.
class BackgroundProcess {
public:
    // Starts `argv` and returns once it has printed a line beginning with `ready_prefix` (returned
    // by ready_line()). Throws std::runtime_error when it ends or stays silent for `timeout`.
    BackgroundProcess(const std::vector<std::string>& argv, std::string_view ready_prefix,
                      std::chrono::milliseconds timeout);
    // stop().
    ~BackgroundProcess();
    BackgroundProcess(const BackgroundProcess&) = delete;
    BackgroundProcess& operator=(const BackgroundProcess&) = delete;

    const std::string& ready_line() const { return ready_line_; }
    pid_t pid() const { return pid_; }

    // Whether it is still running (reaps it if it has ended).
    bool running();

    // A "Name:   value kB" figure from /proc/<pid>/status (VmHWM, VmRSS, Threads), if readable.
    std::optional<long> status_field(std::string_view name) const;

    // SIGTERM, then SIGKILL if it has not ended within two seconds; idempotent.
    void stop();

private:
    pid_t pid_ = -1;
    int stdout_fd_ = -1; // kept open so a later write of the server's cannot raise SIGPIPE
    std::string ready_line_;
};

} // namespace bench
