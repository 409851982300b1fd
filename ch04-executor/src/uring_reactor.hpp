// UringReactor: a second reactor for the same executors, built on chapter 2's io_uring Ring — the
// completion model. The epoll Reactor (reactor.hpp) tells a task "your socket is readable" and the
// task then reads; this one is handed the whole operation ("receive on this socket") and tells the
// task "done: here are 117 bytes, in a buffer that is now yours". Executor, Waker and spawn are
// the same as with the epoll Reactor: the book's point that reactor and executor are independent
// (ch. 8), made concrete.
//
// Ownership is the lesson. Once an operation is submitted the *kernel* reads its memory, at a time
// of its choosing, until the completion arrives: the address a connect reads, the request a send
// reads, the timespec a timeout reads. So that memory (and the socket) lives in an
// Operation that the reactor co-owns (a shared_ptr) until its last completion is taken from the
// ring. A future dropped mid-operation asks for a cancel (IORING_OP_ASYNC_CANCEL) and lets go of
// its share; the reactor's share keeps the memory alive until the kernel says it is done with it.
// With epoll the memory is ours between calls and a dropped future can simply free it: that is the
// difference in one sentence.
//
// Receive buffers are the exception that proves the rule. A receive here names no buffer: it takes
// one from the reactor's pool (ch02's BufferRing) when data arrives, and the completion hands that
// buffer to the future as a ReceivedBuffer (uring_received_buffer.hpp), which gives it back when
// destroyed. 10,000 receives waiting for their answers hold no buffer at all. One receive keeps
// going until the end of the stream (a multishot receive: one completion per chunk), and when the
// pool runs dry (-ENOBUFS) the reactor parks it and submits it again once a buffer comes back.
//
// Fewer wakes. A request's connect, send and receive are one linked chain (IOSQE_IO_LINK): the
// kernel starts each step when the one before it succeeded, and a step that fails cancels the
// rest. A step whose success needs no decision (connect, send) is "quiet": its completion wakes no
// task, so a request costs the executor two polls, as on the epoll reactor — the first, which
// submits the chain, and the one its answer wakes.
//
// Threads: one reactor thread owns the Ring (it has no lock). Futures on any executor thread hand
// operations over through a mutex-guarded queue; the reactor thread takes the whole queue, fills
// one SQE per operation and enters them all together with the wait — one io_uring_enter for the
// batch. A thread that queues work while the reactor sleeps wakes it through an eventfd whose read
// is itself an operation on the ring. Buffers go back to the pool from any thread, under a lock of
// their own.
#pragma once

#include "uring_received_buffer.hpp"
#include "waker.hpp"

#include "ch02-epoll-reactor/src/buffer_ring.hpp"
#include "ch02-epoll-reactor/src/ring.hpp"

#include <common/fd.hpp>

#include <linux/time_types.h>
#include <netinet/in.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace ch04 {

// One operation handed to the kernel, and everything the kernel reads for it.
struct Operation {
    enum class Kind { Connect, Send, Recv, Timeout };

    Kind kind = Kind::Recv;
    // Shared, not owned: the socket closes when the last operation on it and its future are gone,
    // so an operation queued but not yet submitted never names a closed (or reused) descriptor.
    std::shared_ptr<common::Fd> socket;
    sockaddr_in address{};       // Connect: read when the SQE is filled (the kernel copies it)
    std::string request;         // Send: read by the kernel until the completion
    __kernel_timespec timeout{}; // Timeout: read when the SQE is filled (the kernel copies it)
    // A step of a chain whose success wakes no task (the next step just starts); its failure does.
    bool quiet = false;

    // Filled in by the reactor thread as completions arrive; read by the future under `mutex`.
    mutable std::mutex mutex;
    bool done = false;       // the last completion has arrived
    std::int32_t result = 0; // the last completion's result: the system call's, or -errno
    std::vector<ReceivedBuffer> received; // Recv: chunks received, in order, not yet taken
    std::optional<Waker> waker;
};

// The reactor's pool of receive buffers: `count` (a power of two) buffers of `bytes` each.
struct BufferPoolSize {
    unsigned count = 1024;
    unsigned bytes = 1024;
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

    // Opens the ring and registers the buffer pool (throws ch02::RingUnavailable "io_uring
    // unavailable: <reason>", also on kernels older than 6.0, which lack the multishot receive),
    // and starts the reactor thread.
    UringReactor();
    explicit UringReactor(TestHooks hooks);
    UringReactor(BufferPoolSize pool, TestHooks hooks);
    // Cancels what is still in flight, waits (bounded) for every completion, joins the thread.
    ~UringReactor();
    UringReactor(const UringReactor&) = delete;
    UringReactor& operator=(const UringReactor&) = delete;

    // Queues `op` for submission with the next batch and stores `waker` in it. Any thread.
    void submit(const std::shared_ptr<Operation>& op, const Waker& waker);
    // The same for a chain: each operation starts when the one before it has succeeded (all but the
    // last are usually `quiet`). Any thread.
    void submit_chain(std::initializer_list<std::shared_ptr<Operation>> chain, const Waker& waker);
    // Polling side: true (and `result` set) when `op` has completed; otherwise stores `waker` to be
    // woken when it does. Any thread.
    static bool check(Operation& op, const Waker& waker, std::int32_t& result);
    // The same for a receive, which also hands over (appends to `chunks`) what it has received.
    static bool take(Operation& op, const Waker& waker, std::vector<ReceivedBuffer>& chunks,
                     std::int32_t& result);
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
    // The pool: buffers handed to futures and not given back yet (tests check it returns to zero),
    // and how often a receive found the pool empty and was parked until a buffer came back.
    std::size_t buffers_out() const { return buffers_out_.load(std::memory_order_acquire); }
    std::uint64_t buffer_waits() const { return buffer_waits_.load(std::memory_order_relaxed); }
    unsigned buffer_count() const { return buffers_.count(); }

private:
    friend class ReceivedBuffer; // gives its buffer back
    void give_back(std::uint16_t id) noexcept;

    struct Pending {
        std::shared_ptr<Operation> op;
        bool cancel = false;    // a request to cancel `op`, not to start it
        bool link_next = false; // the next Pending is the next step of the same chain
    };

    void run();
    void rearm(std::vector<Pending>& batch);            // 0. receives to submit again
    void take_and_prepare(std::vector<Pending>& batch); // 1. queued operations into SQEs
    void prepare(Pending& p);
    void complete(const ch02::Completion& c); // 2. one completion: store the result, wake the task
    void finish_cancelled(const std::shared_ptr<Operation>& op); // an op the kernel never had
    void fail_all(); // the ring failed: complete everything with -EIO
    void arm_wake_read();
    io_uring_sqe* sqe();      // a free SQE, submitting the queue first when full
    void reserve(unsigned n); // room for n SQEs in a row (a chain is never split)
    void wake_reactor_thread();
    void wake_reactor_thread_for_stop();

    const std::unique_ptr<const TestHooks> hooks_; // set before the thread starts, never changed
    ch02::Ring ring_;
    ch02::BufferRing buffers_;      // after ring_: unregistered before the ring closes
    std::mutex buffers_mutex_;      // one producer at a time: give_back comes from any thread
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
    // Reactor thread only: receives to submit again — `starved_` when a buffer is back (they ended
    // with -ENOBUFS), `resubmit_` at once (the kernel ended them early with data).
    std::vector<std::shared_ptr<Operation>> starved_;
    std::vector<std::shared_ptr<Operation>> resubmit_;
    // starved_.size(), for give_back on other threads: a buffer given back while a receive starves
    // wakes the reactor thread. With buffers_out_ it forms the pair of seq_cst accesses that
    // uring_reactor.cpp explains.
    std::atomic<std::size_t> starved_count_{0};
    std::atomic<std::size_t> buffers_out_{0};
    std::atomic<std::uint64_t> buffer_waits_{0};
    std::atomic<std::size_t> in_flight_count_{0};
    std::atomic<std::uint64_t> syscalls_{0};
    std::atomic<std::uint64_t> enters_{0}; // ring_.enter_calls(), published by the reactor thread
    std::thread thread_;                   // last: starts after everything above is constructed
};

} // namespace ch04
