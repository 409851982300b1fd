// Implementation of syscalls.hpp: one system call, three layers. The numbers and registers below
// are Linux's system-call ABI, which is stable (the kernel never renumbers a call), unlike
// Windows', which is why the book's Windows version cannot make a raw call at all.
#include "syscalls.hpp"

#include <common/print.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <stdexcept>
#include <string>

#include <sys/syscall.h>
#include <unistd.h>

namespace ch02 {

// ---- layer 1: the instruction ------------------------------------------------------------------
//
// A system call is a jump into the kernel through a door the CPU provides. The program puts the
// call's number and its arguments in registers the ABI names, executes the door instruction, and
// finds the result in a register when the kernel returns. write(fd, buf, count) is:
//
//                        number    fd     buf     count   instruction   result   also clobbered
//   x86-64               rax = 1   rdi    rsi     rdx     syscall       rax      rcx, r11
//   AArch64              x8 = 64   x0     x1      x2      svc #0        x0       (nothing)
//
// The numbers come from the kernel's tables: x86-64 has its own (arch/x86/entry/syscalls/
// syscall_64.tbl, where write is 1), AArch64 uses the generic one (include/uapi/asm-generic/
// unistd.h, where write is 64). <sys/syscall.h> has them as SYS_write; the static_asserts check
// our literals against it. On x86-64 the `syscall` instruction itself overwrites rcx (with the
// address to return to) and r11 (with the flags), so they are listed as clobbered; the AArch64
// kernel restores every register but x0.
//
// In the constraints, "a", "D", "S", "d" are GCC's names for rax, rdi, rsi, rdx; on AArch64,
// `register long x8 asm("x8")` pins a variable to a register. "memory" says the kernel reads the
// buffer, so the compiler must have stored it before the call. `volatile`: the call has an effect
// (the bytes appear), so it must not be removed even when the result is unused.

#if defined(__x86_64__)

static_assert(SYS_write == 1, "x86-64's write is system call 1");

long raw_write(int fd, const void* data, std::size_t size) noexcept {
    long result;
    asm volatile("syscall"
                 : "=a"(result)                                              // rax: the result
                 : "a"(1L), "D"(static_cast<long>(fd)), "S"(data), "d"(size) // rax, rdi, rsi, rdx
                 : "rcx", "r11", "memory");
    return result;
}

#elif defined(__aarch64__)

static_assert(SYS_write == 64, "AArch64's write is system call 64");

long raw_write(int fd, const void* data, std::size_t size) noexcept {
    register long x8 asm("x8") = 64; // the call's number
    register long x0 asm("x0") = fd; // first argument, and the result on return
    register const void* x1 asm("x1") = data;
    register std::size_t x2 asm("x2") = size;
    asm volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
    return x0;
}

#else
#error "syscalls.cpp has raw system calls for x86-64 and AArch64 only"
#endif

// ---- layer 2: libc ----------------------------------------------------------------------------
//
// The book's b-normal-syscall declares libc's write itself (`extern "C"`); in C++ <unistd.h>
// declares it. Inside, glibc does what raw_write does, then turns a negative result into -1 and
// errno, and (for write) is a cancellation point for threads.

long libc_write(int fd, const void* data, std::size_t size) noexcept {
    return static_cast<long>(::write(fd, data, size));
}

// ---- layer 3: the C++ library ------------------------------------------------------------------

long stream_write(std::ostream& out, std::string_view text) {
    const std::streamsize accepted =
        out.rdbuf()->sputn(text.data(), static_cast<std::streamsize>(text.size()));
    out.flush();
    return out.good() ? static_cast<long>(accepted) : -1;
}

// ---- the example --------------------------------------------------------------------------------

namespace {

#if defined(__x86_64__)
constexpr const char* kRawLayer =
    "the `syscall` instruction with rax = 1 (write on x86-64), no libc";
#else
constexpr const char* kRawLayer =
    "the `svc #0` instruction with x8 = 64 (write on AArch64), no libc";
#endif

// A layer that wrote less than the whole line, or failed, ends the example with its reason.
void expect_whole(long written, std::string_view text, const char* layer, int error_number) {
    if (written == static_cast<long>(text.size())) {
        return;
    }
    if (written >= 0) {
        throw std::runtime_error(std::string("write: ") + layer + ": wrote " +
                                 std::to_string(written) + " of " + std::to_string(text.size()) +
                                 " bytes");
    }
    throw std::runtime_error(std::string("write: ") + layer + ": " + std::strerror(error_number));
}

} // namespace

int run_syscalls_example() {
    common::println("=== Book ch. 3, ch03/a-raw-syscall and ch03/b-normal-syscall: one write, "
                    "three layers ===");
    // Anything the C and C++ streams still held would be overtaken by the direct writes below;
    // println has flushed its own line, this covers the rest.
    std::cout.flush();
    std::fflush(stdout);

    const long raw = raw_write(STDOUT_FILENO, kRawMessage.data(), kRawMessage.size());
    expect_whole(raw, kRawMessage, "raw system call", raw < 0 ? static_cast<int>(-raw) : 0);
    common::println(std::string("  ^ ") + kRawLayer + ": the kernel returned " +
                    std::to_string(raw));

    const long libc = libc_write(STDOUT_FILENO, kLibcMessage.data(), kLibcMessage.size());
    expect_whole(libc, kLibcMessage, "libc", errno);
    common::println(
        "  ^ libc's write(1, ...), the same system call behind a C function: returned " +
        std::to_string(libc));

    const long stream = stream_write(std::cout, kCppMessage);
    expect_whole(stream, kCppMessage, "std::cout", EIO);
    common::println("  ^ std::cout: the stream took " + std::to_string(stream) +
                    " bytes, and its flush passed them to libc's write");

    // The two conventions for failure, side by side: descriptor -1 is never open.
    const long raw_error = raw_write(-1, kRawMessage.data(), kRawMessage.size());
    const long libc_error = libc_write(-1, kLibcMessage.data(), kLibcMessage.size());
    const int libc_errno = errno;
    const std::string as_errno = raw_error == -EBADF ? " = -EBADF" : "";
    common::println("To descriptor -1, which is never open, the raw call returns " +
                    std::to_string(raw_error) + as_errno +
                    " (the kernel returns minus the error number);");
    common::println("libc's write returns " + std::to_string(libc_error) + " and sets errno to " +
                    std::to_string(libc_errno) + " (" + std::strerror(libc_errno) + ").");
    return 0;
}

} // namespace ch02
