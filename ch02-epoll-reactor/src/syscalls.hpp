// Book ch. 3's two system-call examples (ch03/a-raw-syscall and ch03/b-normal-syscall), plus the
// layer this repository otherwise uses: the same `write` to stdout made three ways. First with the
// CPU's system-call instruction and no library at all, then through libc's `write` (what every
// socket call in this chapter does: read, recv, epoll_wait), then through the C++ library, which
// ends in that same libc call. The program runs it with `--example syscalls`.
#pragma once

#include <cstddef>
#include <ostream>
#include <string_view>

namespace ch02 {

// The messages, as in the book, whose examples print the first two.
inline constexpr std::string_view kRawMessage = "Hello world from raw syscall!\n";
inline constexpr std::string_view kLibcMessage = "Hello world from syscall!\n";
inline constexpr std::string_view kCppMessage = "Hello world from the C++ library!\n";

// Layer 1: Linux's `write` system call made directly with the `syscall` instruction (x86-64) or
// `svc #0` (AArch64). Returns what the kernel returns: the number of bytes written, or a negative
// error number (-EBADF, -EFAULT, ...). No errno: errno is libc's invention.
long raw_write(int fd, const void* data, std::size_t size) noexcept;

// Layer 2: libc's write(2), the wrapper around the same instruction. Returns the bytes written, or
// -1 with the error in errno (libc turns the kernel's -EBADF into -1 and errno = EBADF).
long libc_write(int fd, const void* data, std::size_t size) noexcept;

// Layer 3: a std::ostream. Returns the bytes the stream's buffer accepted (sputn, the one iostream
// call that returns a count), after a flush that hands them to the kernel; -1 if the stream
// failed. For std::cout, libstdc++ passes the bytes to C's stdio (while
// sync_with_stdio is on, the default), and the flush ends in libc's write(1, ...).
long stream_write(std::ostream& out, std::string_view text);

// `--example syscalls`: writes kRawMessage, kLibcMessage and kCppMessage to stdout, one per
// layer, each followed by a line saying which layer wrote it and what it returned; then the same
// write to a descriptor that is not open, to show the kernel's error convention beside libc's.
// Each layer's bytes are out before the next line starts (the stream flushes, common::println
// flushes), so nothing overtakes anything. Throws std::runtime_error naming the layer when a write
// fails or comes up short (stdout closed, say). Returns the exit status, 0.
int run_syscalls_example();

} // namespace ch02
