// Implementation of child_process.hpp: posix_spawn with stdout/stderr redirected to temporary
// files, and a pidfd (readable once the child ends) waited on with poll(2) and a timeout.
#include "common/test_support/child_process.hpp"

#include "common/error.hpp"
#include "common/fd.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace common::test {
namespace {

struct FileCloser {
    void operator()(std::FILE* file) const { std::fclose(file); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

std::string contents(std::FILE* file) {
    std::string text;
    char buffer[4096];
    std::rewind(file);
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, file)) > 0;) {
        text.append(buffer, n);
    }
    return text;
}

} // namespace

ChildRun run_child(const std::string& path, const std::vector<std::string>& args,
                   std::chrono::milliseconds limit) {
    const File out(std::tmpfile());
    const File err(std::tmpfile());
    if (!out || !err) {
        throw_errno("tmpfile");
    }
    std::vector<std::string> all{path};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& arg : all) {
        argv.push_back(arg.data());
    }
    argv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, ::fileno(out.get()), STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, ::fileno(err.get()), STDERR_FILENO);
    pid_t pid = 0;
    const int spawned = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) {
        throw sys_error(spawned, "posix_spawn", path);
    }

    // A pidfd becomes readable when the process ends, so the wait is an ordinary bounded poll.
    const Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    int ready = 0;
    if (pidfd) {
        pollfd p{pidfd.get(), POLLIN, 0};
        do {
            ready = ::poll(&p, 1, static_cast<int>(limit.count()));
        } while (ready < 0 && errno == EINTR);
    }
    ChildRun run;
    if (ready <= 0) {
        ::kill(pid, SIGKILL);
        run.killed = true;
    }
    int wait_status = 0;
    ::waitpid(pid, &wait_status, 0);
    if (!run.killed && WIFEXITED(wait_status)) {
        run.status = WEXITSTATUS(wait_status);
    }
    run.out = contents(out.get());
    run.err = contents(err.get());
    return run;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    for (std::size_t start = 0; start < text.size();) {
        const std::size_t end = text.find('\n', start);
        lines.push_back(text.substr(start, end - start));
        start = end == std::string::npos ? text.size() : end + 1;
    }
    return lines;
}

std::size_t count_lines(const std::vector<std::string>& lines, std::string_view line) {
    return static_cast<std::size_t>(std::count(lines.begin(), lines.end(), line));
}

} // namespace common::test
