// Test support: captures what code writes to stdout or stderr, for tests of the programs' output
// contract ("exactly one line on stdout", "error: ..." on stderr). It swaps the descriptor itself
// (dup2 onto a temporary file), so it sees iostreams, stdio and raw write() alike.
#pragma once

#include "common/error.hpp"
#include "common/fd.hpp"

#include <cerrno>
#include <cstdio>
#include <iostream>
#include <string>

#include <sys/types.h>
#include <unistd.h>

namespace common::test {

// Not thread-safe: capture on the main thread, around one call, and check the text afterwards.
class CapturedOutput {
public:
    // `fd` is STDOUT_FILENO or STDERR_FILENO. From now until finish() (or destruction), whatever is
    // written to it lands in a temporary file instead of the terminal or the test log.
    explicit CapturedOutput(int fd) : fd_(fd) {
        flush_all(); // what was written before the capture must not end up inside it
        file_ = std::tmpfile();
        if (file_ == nullptr) {
            throw_errno("tmpfile");
        }
        saved_.reset(::dup(fd_));
        if (!saved_) {
            const int err = errno;
            std::fclose(file_);
            throw sys_error(err, "dup");
        }
        if (::dup2(::fileno(file_), fd_) < 0) {
            const int err = errno;
            std::fclose(file_);
            throw sys_error(err, "dup2");
        }
    }

    ~CapturedOutput() {
        restore();
        if (file_ != nullptr) {
            std::fclose(file_);
        }
    }

    CapturedOutput(const CapturedOutput&) = delete;
    CapturedOutput& operator=(const CapturedOutput&) = delete;

    // Flushes the streams, puts the original descriptor back and returns everything captured.
    std::string finish() {
        restore();
        std::string text;
        char buffer[4096];
        off_t offset = 0;
        for (;;) {
            // pread: the offset of the temporary file was moved by the writes; do not depend on it.
            const ssize_t n = ::pread(::fileno(file_), buffer, sizeof buffer, offset);
            if (n <= 0) {
                break;
            }
            text.append(buffer, static_cast<std::size_t>(n));
            offset += n;
        }
        return text;
    }

private:
    static void flush_all() {
        std::cout.flush();
        std::cerr.flush();
        std::fflush(stdout);
        std::fflush(stderr);
    }

    void restore() {
        if (saved_) {
            flush_all(); // buffered output written during the capture belongs to the capture
            ::dup2(saved_.get(), fd_);
            saved_.reset();
        }
    }

    int fd_;
    std::FILE* file_ = nullptr;
    Fd saved_; // the original descriptor, while captured
};

} // namespace common::test
