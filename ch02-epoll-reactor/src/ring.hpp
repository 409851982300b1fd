// Ring: a completion queue over Linux io_uring, written on the raw system calls (io_uring_setup,
// io_uring_enter and three mmap'ed areas), with no liburing — as poll.hpp writes epoll by hand.
// Book ch. 3 describes the two families of event queues, readiness (epoll, kqueue: "you may read
// now") and completion (IOCP: "your read is done, the bytes are in your buffer"), and builds only
// on readiness. This file is the completion side, for Linux.
//
// The shape: two ring buffers shared with the kernel.
//  - The submission queue (SQ): we write a submission queue entry (SQE: "recv on fd 7 into this
//    buffer, call it 42") and move the SQ's tail; the kernel takes entries from the head.
//  - The completion queue (CQ): the kernel writes a completion queue entry (CQE: "42 finished,
//    result 117 bytes") and moves the CQ's tail; we read entries from the head.
// `user_data` plays the role of the epoll Token: an opaque 64-bit value we put in the SQE and get
// back, unchanged, in its CQE.
//
// Used by ring_demo.cpp (this chapter) and by ch04's UringReactor. One thread at a time: the ring
// itself has no lock (ch04 gives it to one thread, its reactor thread).
#pragma once

#include <common/fd.hpp>

#include <linux/io_uring.h>
#include <netinet/in.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

namespace ch02 {

// What the program reports when the kernel refuses io_uring (too old, `kernel.io_uring_disabled`,
// a seccomp filter in a container): "io_uring unavailable: <reason>".
class RingUnavailable : public std::runtime_error {
public:
    explicit RingUnavailable(const std::string& reason)
        : std::runtime_error("io_uring unavailable: " + reason) {}
};

// One completion, copied out of the CQ so that its slot can be given back to the kernel at once.
struct Completion {
    std::uint64_t user_data = 0; // the SQE's user_data: which operation this is
    std::int32_t result = 0;     // what the system call would have returned, or -errno
    std::uint32_t flags = 0;     // IORING_CQE_F_*: more to come, which buffer (prep_recv_multishot)
};

class Ring {
public:
    // Sets up a ring with room for `entries` submissions (rounded up to a power of two by the
    // kernel) and `completion_entries` completions (0: twice `entries`). A program with many
    // operations in flight wants a large CQ: completions beyond it wait in a slower kernel list.
    // Throws RingUnavailable when io_uring cannot be used, std::system_error for other failures.
    explicit Ring(unsigned entries, unsigned completion_entries = 0);
    ~Ring();
    // Not movable: the kernel writes into the mapped areas, and the pointers below aim into them.
    Ring(const Ring&) = delete;
    Ring& operator=(const Ring&) = delete;

    // A zeroed SQE to fill in (with the prep_* functions below), or nullptr when the submission
    // queue is full: every slot is either filled and not yet submitted, or still being read by
    // the kernel. The entry goes to the kernel with the next submit().
    io_uring_sqe* next_sqe();

    // Hands every filled SQE to the kernel in one io_uring_enter — batching: ten connects cost one
    // system call, not ten. Returns how many the kernel took. Does nothing (and makes no system
    // call) when nothing is pending.
    unsigned submit();

    // submit(), and then sleeps in the same system call until at least one completion is in the
    // CQ or `timeout` has passed (nullopt: no limit). Returns early on a signal (EINTR), so the
    // caller must treat "no completion" as possible, like Poll::poll's spurious wake.
    void submit_and_wait(std::optional<std::chrono::nanoseconds> timeout);

    // Takes the oldest completion from the CQ, if there is one. No system call.
    std::optional<Completion> next_completion();
    // Completions waiting in the CQ. No system call.
    unsigned ready() const;

    // Registers a provided-buffer ring (buffer_ring.hpp) with the kernel, and takes it back. The
    // first throws RingUnavailable when the kernel has no buffer rings (Linux 5.19 or later).
    void register_buffer_ring(io_uring_buf_reg& registration);
    void unregister_buffer_ring(std::uint16_t group) noexcept;

    unsigned sq_capacity() const { return sq_entries_; }
    unsigned cq_capacity() const { return cq_entries_; }
    // SQEs filled but not yet taken by the kernel.
    unsigned pending() const;
    // SQEs that next_sqe() can still hand out before the queue is full: a caller that needs
    // several entries together (a linked chain, which must not be split between two submissions)
    // checks this first.
    unsigned space() const;
    // io_uring_enter calls this ring has made: the one system call of the completion model, counted
    // so that the programs can report system calls per request.
    std::uint64_t enter_calls() const { return enter_calls_; }

private:
    void unmap() noexcept;
    int enter(unsigned to_submit, unsigned min_complete, unsigned flags, void* arg,
              std::size_t arg_size);

    common::Fd ring_fd_;
    unsigned sq_entries_ = 0;
    unsigned cq_entries_ = 0;

    // The three mappings: the SQ ring (indexes and the index array), the CQ ring (indexes and the
    // CQEs; the same mapping as the SQ ring on kernels with IORING_FEAT_SINGLE_MMAP), and the SQEs.
    void* sq_map_ = nullptr;
    std::size_t sq_map_size_ = 0;
    void* cq_map_ = nullptr;
    std::size_t cq_map_size_ = 0;
    io_uring_sqe* sqes_ = nullptr;
    std::size_t sqes_size_ = 0;

    // Pointers into the shared mappings. The kernel writes *sq_head_ and *cq_tail_; we write
    // *sq_tail_ and *cq_head_. Each is read and written through std::atomic_ref (ring.cpp says
    // which memory order each access needs, and why).
    unsigned* sq_head_ = nullptr;
    unsigned* sq_tail_ = nullptr;
    unsigned sq_mask_ = 0;
    unsigned* sq_array_ = nullptr; // SQ slot -> SQE index; we keep them equal
    unsigned* cq_head_ = nullptr;
    unsigned* cq_tail_ = nullptr;
    unsigned cq_mask_ = 0;
    io_uring_cqe* cqes_ = nullptr;

    unsigned sqe_tail_ = 0; // our next SQE: filled entries run from *sq_tail_ up to here
    bool ext_arg_ = false;  // IORING_FEAT_EXT_ARG: the wait can carry a timeout
    std::uint64_t enter_calls_ = 0;
};

// Filling in an SQE: one function per operation, each a system call the kernel will make for us.
// Every buffer and address passed here must stay valid until the operation's completion arrives —
// not just until submit(). The kernel reads and writes them later, from its own context.
void prep_connect(io_uring_sqe* sqe, int fd, const sockaddr_in& address, std::uint64_t user_data);
void prep_send(io_uring_sqe* sqe, int fd, const void* data, std::size_t size,
               std::uint64_t user_data);
void prep_recv(io_uring_sqe* sqe, int fd, void* buffer, std::size_t size, std::uint64_t user_data);
void prep_read(io_uring_sqe* sqe, int fd, void* buffer, std::size_t size, std::uint64_t user_data);
// A receive that takes its buffer from buffer group `group` (buffer_ring.hpp) when data arrives,
// and keeps receiving: one completion per chunk of data, each with IORING_CQE_F_MORE set while the
// receive goes on, and a last one without it (0 at end of stream, or -errno; -ENOBUFS when the
// group had no buffer left). Multishot receive: Linux 6.0 or later.
void prep_recv_multishot(io_uring_sqe* sqe, int fd, std::uint16_t group, std::uint64_t user_data);
// Throws RingUnavailable when the kernel is older than 6.0 and so has no multishot receive. No
// feature bit announces it (an older kernel fails each such receive with -EINVAL), so this asks the
// kernel its version.
void require_multishot_recv();
// Makes the next SQE wait for this one (IOSQE_IO_LINK): the kernel starts it only when this one
// has succeeded, and completes it with -ECANCELED when this one fails. The chain ends at the first
// SQE without the flag.
void link_to_next(io_uring_sqe* sqe);
// Asks the kernel to cancel the operation submitted with `target`. Two completions follow: the
// target's (-ECANCELED if it was cancelled, its normal result if it finished first) and the
// cancel's own (0, -ENOENT when nothing matched, -EALREADY when it was too late to stop).
void prep_cancel(io_uring_sqe* sqe, std::uint64_t target, std::uint64_t user_data);
// Completes with -ETIME once `relative` has passed (measured on CLOCK_MONOTONIC).
void prep_timeout(io_uring_sqe* sqe, const __kernel_timespec& relative, std::uint64_t user_data);
// Does nothing, and completes with result 0: for tests.
void prep_nop(io_uring_sqe* sqe, std::uint64_t user_data);

// "127.0.0.1:8080" as the sockaddr a connect needs (numeric IPv4 or "localhost", as common's
// connect_tcp accepts). Throws std::invalid_argument otherwise.
sockaddr_in ipv4_address(const std::string& host, std::uint16_t port);

} // namespace ch02
