// Implementation of stack.hpp: mmap with a guard page, mincore for the resident size, and the
// SIGSEGV handler that reports an overflow.
#include "stack.hpp"

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <system_error>
#include <utility>
#include <vector>

#include <sys/mman.h>
#include <unistd.h>

namespace ch05::fibers {

std::size_t page_size() {
    static const std::size_t size = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    return size;
}

std::size_t stack_size_for(std::size_t usable_bytes) {
    const std::size_t page = page_size();
    const std::size_t size = (usable_bytes + page - 1) / page * page;
    return size == 0 ? page : size;
}

Stack::Stack(std::size_t usable_bytes) {
    const std::size_t page = page_size();
    size_ = stack_size_for(usable_bytes);
    // MAP_NORESERVE: the kernel need not set swap aside for pages we may never touch.
    mapping_ = mmap(nullptr, size_ + page, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mapping_ == MAP_FAILED) {
        mapping_ = nullptr;
        throw std::system_error(errno, std::generic_category(), "fiber stack: mmap");
    }
    // The lowest page becomes the guard: the stack grows down into it when it overflows.
    if (mprotect(mapping_, page, PROT_NONE) != 0) {
        const int error = errno;
        munmap(mapping_, size_ + page);
        throw std::system_error(error, std::generic_category(), "fiber stack: mprotect");
    }
    usable_ = static_cast<char*>(mapping_) + page;
}

Stack::~Stack() {
    if (mapping_ != nullptr) {
        munmap(mapping_, size_ + page_size());
    }
}

Stack::Stack(Stack&& other) noexcept
    : mapping_(std::exchange(other.mapping_, nullptr)),
      usable_(std::exchange(other.usable_, nullptr)), size_(std::exchange(other.size_, 0)) {}

Stack& Stack::operator=(Stack&& other) noexcept {
    if (this != &other) {
        Stack old(std::move(*this)); // unmapped when it goes out of scope
        mapping_ = std::exchange(other.mapping_, nullptr);
        usable_ = std::exchange(other.usable_, nullptr);
        size_ = std::exchange(other.size_, 0);
    }
    return *this;
}

std::size_t Stack::resident_bytes() const {
    const std::size_t page = page_size();
    std::vector<unsigned char> pages(size_ / page);
    if (mincore(usable_, size_, pages.data()) != 0) {
        return 0;
    }
    std::size_t resident = 0;
    for (const unsigned char p : pages) {
        resident += (p & 1) ? page : 0;
    }
    return resident;
}

namespace {

// The stack this thread is running on, if it is a fiber's. Read by the signal handler, so it is a
// plain pointer in thread-local storage: no constructor, nothing to lock.
thread_local const Stack* running_stack = nullptr;

// The SIGSEGV action in place before ours (the default, or a sanitizer's reporter): a fault that is
// not a fiber's overflow goes back to it.
struct sigaction previous_action {};

// One alternate signal stack per thread, made on first use and kept until the thread ends.
struct AltStack {
    AltStack() {
        stack_t current{};
        if (sigaltstack(nullptr, &current) == 0 && !(current.ss_flags & SS_DISABLE)) {
            return; // the thread has one already (a sanitizer's runtime installs its own)
        }
        memory.resize(64 * 1024); // SIGSTKSZ is not a constant in newer glibc; 64 KiB is plenty
        stack_t ss{};
        ss.ss_sp = memory.data();
        ss.ss_size = memory.size();
        installed = sigaltstack(&ss, nullptr) == 0;
    }
    ~AltStack() {
        if (installed) {
            stack_t off{};
            off.ss_flags = SS_DISABLE;
            sigaltstack(&off, nullptr);
        }
    }
    std::vector<char> memory;
    bool installed = false;
};

// Only async-signal-safe calls in here: write(2) and _exit(2).
void write_number(char* buffer, std::size_t& at, std::size_t value) {
    char digits[24];
    std::size_t n = 0;
    do {
        digits[n++] = static_cast<char>('0' + value % 10);
        value /= 10;
    } while (value != 0);
    while (n != 0) {
        buffer[at++] = digits[--n];
    }
}

void on_fault(int signal, siginfo_t* info, void*) {
    const Stack* stack = running_stack;
    const auto address = reinterpret_cast<std::uintptr_t>(info->si_addr);
    const auto guard = reinterpret_cast<std::uintptr_t>(stack ? stack->guard() : nullptr);
    if (stack != nullptr && address >= guard && address < guard + page_size()) {
        char line[96];
        std::size_t at = 0;
        const char head[] = "error: fiber stack overflow (";
        std::memcpy(line, head, sizeof head - 1);
        at += sizeof head - 1;
        write_number(line, at, stack->size() / 1024);
        const char tail[] = " KiB stack)\n";
        std::memcpy(line + at, tail, sizeof tail - 1);
        at += sizeof tail - 1;
        [[maybe_unused]] const ssize_t written = write(STDERR_FILENO, line, at);
        _exit(1);
    }
    // Not ours: an ordinary crash. Put the previous action back and return; the faulting
    // instruction runs again and the process dies of the signal (or a sanitizer reports it) as it
    // would have without us.
    sigaction(signal, &previous_action, nullptr);
}

void install_handler_once() {
    static std::once_flag once;
    std::call_once(once, [] {
        struct sigaction action {};
        action.sa_sigaction = on_fault;
        action.sa_flags = SA_SIGINFO | SA_ONSTACK; // SA_ONSTACK: run on the alternate stack
        sigemptyset(&action.sa_mask);
        sigaction(SIGSEGV, &action, &previous_action);
    });
}

} // namespace

const Stack* set_running_stack(const Stack* running) {
    if (running != nullptr) {
        thread_local AltStack alt_stack;
        install_handler_once();
    }
    const Stack* previous = running_stack;
    running_stack = running;
    return previous;
}

} // namespace ch05::fibers
