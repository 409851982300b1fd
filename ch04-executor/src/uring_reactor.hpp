// UringReactor: a second reactor for the same executors, built on chapter 2's io_uring Ring — the
// completion model. The epoll Reactor (reactor.hpp) tells a task "your socket is readable" and the
// task then reads; this one is handed the whole operation ("recv into this buffer") and tells the
// task "done: 117 bytes are in your buffer". Executor, Waker and spawn are the same as with the
// epoll Reactor: the book's point that reactor and executor are independent (ch. 8), made concrete.
//
// Ownership is the lesson. Once an operation is submitted the *kernel* writes into its buffer, at
// a time of its choosing, until the completion arrives. So the buffer (and the socket, and the
// address a connect reads) lives in an Operation that the reactor co-owns (a shared_ptr) until its
// completion is taken from the ring. A future dropped mid-operation asks for a cancel
// (IORING_OP_ASYNC_CANCEL) and lets go of its share; the reactor's share keeps the buffer alive
// until the kernel says it is done with it. With epoll the buffer is ours between calls and a
// dropped future can simply free it: that is the difference in one sentence.
//
// Threads: one reactor thread owns the Ring (it has no lock). Futures on any executor thread hand
// operations over through a mutex-guarded queue; the reactor thread takes the whole queue, fills
// one SQE per operation and enters them all together with the wait — one io_uring_enter for the
// batch. A thread that queues work while the reactor sleeps wakes it through an eventfd whose read
// is itself an operation on the ring.
#pragma once

#include "waker.hpp"

#include "ch02-epoll-reactor/src/ring.hpp"

#include <common/fd.hpp>

#include <linux/time_types.h>
#include <netinet/in.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace ch04 {

// One operation handed to the kernel, and everything the kernel reads or writes for it.
struct Operation {
    enum class Kind { Connect, Send, Recv, Timeout };

    Kind kind = Kind::Recv;
    // Shared, not owned: the socket closes when the last operation on it and its future are gone,
    // so an operation queued but not yet submitted never names a closed (or reused) descriptor.
    std::shared_ptr<common::Fd> socket;
    sockaddr_in address{};       // Connect: read by the kernel
    std::string data;            // Send: read by the kernel. Recv: written by the kernel
    __kernel_timespec timeout{}; // Timeout: read by the kernel

    // Filled in by the reactor thread when the completion arrives; read by the future under
    // `mutex`.
    std::mutex mutex;
    bool done = false;
    std::int32_t result = 0; // the system call's result, or -errno
    std::optional<Waker> waker;
};

class UringReactor {
public:
    // Test-only, as Reactor::TestHooks: code the reactor thread runs at a precise point, so that a
    // test can hold it there instead of sleeping and hoping. Null in production.
    struct TestHooks {
        // Reactor thread, at the start of each turn, before it takes the queued operations (and
        // cancels) for submission.
        std::function<void()> at_turn_start = nullptr;
    };

    // Opens the ring (throws ch02::RingUnavailable "io_uring unavailable: <reason>") and starts the
    // reactor thread.
    UringReactor();
    explicit UringReactor(TestHooks hooks);
    // Cancels what is still in flight, waits (bounded) for every completion, joins the thread.
    ~UringReactor();
    UringReactor(const UringReactor&) = delete;
    UringReactor& operator=(const UringReactor&) = delete;

    // Queues `op` for submission with the next batch and stores `waker` in it. Any thread.
    void submit(const std::shared_ptr<Operation>& op, const Waker& waker);
    // Polling side: true (and `result` set) when `op` has completed; otherwise stores `waker` to be
    // woken when it does. Any thread.
    static bool check(Operation& op, const Waker& waker, std::int32_t& result);
    // Asks the kernel to stop `op` (a future dropped mid-operation). The reactor keeps `op` alive
    // until its completion arrives, cancelled or not. Any thread; never throws.
    void cancel(const std::shared_ptr<Operation>& op) noexcept;

    // Operations whose completion has not arrived yet (tests check it returns to zero).
    std::size_t in_flight() const { return in_flight_count_.load(std::memory_order_acquire); }
    // System calls made for I/O under this reactor: io_uring_enter, eventfd wakes, and the socket()
    // and close() calls its futures report through count_syscalls.
    std::uint64_t syscalls() const {
        return syscalls_.load(std::memory_order_relaxed) + enters_.load(std::memory_order_relaxed);
    }
    void count_syscalls(std::uint64_t n) { syscalls_.fetch_add(n, std::memory_order_relaxed); }

private:
    struct Pending {
        std::shared_ptr<Operation> op;
        bool cancel = false; // a request to cancel `op`, not to start it
    };

    void run();
    void take_and_prepare(std::vector<Pending>& batch); // 1. queued operations into SQEs
    void complete(const ch02::Completion& c); // 2. one completion: store the result, wake the task
    void fail_all();                          // the ring failed: complete everything with -EIO
    void arm_wake_read();
    io_uring_sqe* sqe(); // a free SQE, submitting the queue first when full
    void wake_reactor_thread();
    void wake_reactor_thread_for_stop();

    const std::unique_ptr<const TestHooks> hooks_; // set before the thread starts, never changed
    ch02::Ring ring_;
    common::Fd wake_fd_;            // eventfd: written to wake the reactor thread
    std::uint64_t wake_buffer_ = 0; // the wake read's buffer (reactor thread only)
    bool wake_armed_ = false;       // the wake read is in flight (reactor thread only)

    std::mutex mutex_; // guards pending_, sleeping_ and stopping_
    std::vector<Pending> pending_;
    bool sleeping_ = false; // the reactor thread is in (or entering) its wait
    bool stopping_ = false;
    bool failed_ = false; // the reactor thread has died: fail new operations

    // Reactor thread only: every submitted operation by its user_data, until its completion.
    std::unordered_map<std::uint64_t, std::shared_ptr<Operation>> submitted_;
    std::atomic<std::size_t> in_flight_count_{0};
    std::atomic<std::uint64_t> syscalls_{0};
    std::atomic<std::uint64_t> enters_{0}; // ring_.enter_calls(), published by the reactor thread
    std::thread thread_;                   // last: starts after everything above is constructed
};

} // namespace ch04
