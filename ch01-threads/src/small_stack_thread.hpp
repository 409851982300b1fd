// An OS thread with a stack size we choose. std::thread cannot set one, and load mode starts
// thousands of threads, so it creates them with pthreads directly. Same layer as std::thread,
// one step closer to the system call.
#pragma once

#include <cstddef>
#include <functional>

#include <pthread.h>

namespace ch01 {

// Load mode's stack size for each request thread. Why 128 KiB, when the default is 8 MiB (it
// follows `ulimit -s`):
//   * The default is only *reserved* address space; the kernel commits a page when it is first
//     touched, so a thread that uses 20 KiB of stack costs about 20 KiB of RSS either way.
//   * But the reservation is not free. Under strict overcommit (vm.overcommit_memory=2) each
//     8 MiB stack is charged in full against the commit limit, so 5,000 threads need 40 GiB of
//     commit before they do anything, and `ulimit -v` (RLIMIT_AS) counts it too. (The number of
//     stacks, whatever their size, is limited separately: each is a mapping and a guard page,
//     and vm.max_map_count allows about 65,000 mappings.)
//   * A request thread needs little: http_get's 4 KiB read buffer, a few frames of parsing, and
//     the exception machinery when it fails. 64 KiB, the smallest --stack-kib accepts, is enough
//     for success and failure alike, also under AddressSanitizer (the README shows the commands
//     that try it; the program tests run load mode at 64 KiB). 128 KiB doubles that.
//     (ThreadSanitizer quietly enlarges small stacks to about 900 KiB for its own bookkeeping.)
// --stack-kib changes it, so the trade-off can be measured (the README does).
inline constexpr std::size_t kLoadStackBytes = 128 * 1024;

class SmallStackThread {
public:
    // Starts a thread running `body` on a stack of `stack_bytes` (rounded up to whole pages by
    // the system; 0 means the system default). `body` must not throw: like an exception leaving a
    // std::thread's function, that ends the program.
    //
    // Throws std::system_error "pthread_create: ..." when the thread cannot be created — EAGAIN
    // when a thread, process or memory limit is reached — and EINVAL for a stack size the system
    // does not accept (below PTHREAD_STACK_MIN). `body` is not run then.
    SmallStackThread(std::size_t stack_bytes, std::function<void()> body);

    // Joins if still joinable (as std::jthread does), so a vector of these can unwind safely.
    ~SmallStackThread();

    SmallStackThread(SmallStackThread&& other) noexcept;
    SmallStackThread& operator=(SmallStackThread&& other) noexcept;
    SmallStackThread(const SmallStackThread&) = delete;
    SmallStackThread& operator=(const SmallStackThread&) = delete;

    bool joinable() const noexcept { return joinable_; }
    void join(); // blocks until `body` has returned

private:
    pthread_t handle_{};
    bool joinable_ = false;
};

} // namespace ch01
