// Implementation of ring.hpp: setting the ring up, and the head/tail protocol on its two queues.
//
// The protocol, once. Each queue is a single-producer, single-consumer ring buffer whose two
// indexes live in memory shared with the kernel. Indexes only grow (they wrap at 2^32, and the
// slot is index & mask); the queue holds tail - head entries.
//  - SQ: we produce, the kernel consumes. We fill the SQE, then *publish* it by storing the new
//    tail with memory_order_release: every write to the SQE happens-before the kernel's acquire
//    load of the tail, so the kernel never reads a half-written entry. The kernel moves the head
//    when it has copied an entry; we load the head with memory_order_acquire before reusing a
//    slot, so the kernel's reads of the old entry are finished before our new writes.
//  - CQ: the kernel produces, we consume. We load the tail with memory_order_acquire: the
//    kernel's writes to each CQE happen-before its release store of the tail, so the entries up to
//    the tail we saw are complete. We copy the entry out, then store the new head with
//    memory_order_release: our read of the slot happens-before the kernel's load of the head, so
//    the kernel never overwrites an entry we are still reading.
// Our own index on each queue (the SQ tail, the CQ head) is written only by us, so reading it back
// needs no ordering; it is read relaxed.
// (The kernel's side of each pair is smp_load_acquire / smp_store_release on the same words.)
#include "ring.hpp"

#include <common/error.hpp>

#include <algorithm>
#include <arpa/inet.h>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

namespace ch02 {
namespace {

// glibc has no wrappers for these two; the raw syscall is the interface.
int sys_io_uring_setup(unsigned entries, io_uring_params* params) {
    return static_cast<int>(::syscall(__NR_io_uring_setup, entries, params));
}

unsigned load_acquire(unsigned* at) {
    return std::atomic_ref<unsigned>(*at).load(std::memory_order_acquire);
}
void store_release(unsigned* at, unsigned value) {
    std::atomic_ref<unsigned>(*at).store(value, std::memory_order_release);
}
unsigned load_relaxed(unsigned* at) {
    return std::atomic_ref<unsigned>(*at).load(std::memory_order_relaxed);
}

void* map(int fd, std::size_t size, off_t offset) {
    void* at = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, offset);
    if (at == MAP_FAILED) {
        common::throw_errno("mmap", "io_uring");
    }
    return at;
}

// Why the kernel said no, in words a reader can act on.
std::string setup_failure(int err) {
    switch (err) {
    case ENOSYS:
        return "io_uring_setup: not implemented (kernel older than 5.1, or built without it)";
    case EPERM:
        return "io_uring_setup: not permitted (kernel.io_uring_disabled, or a seccomp filter)";
    default:
        return std::string("io_uring_setup: ") + std::strerror(err);
    }
}

} // namespace

Ring::Ring(unsigned entries, unsigned completion_entries) {
    io_uring_params params{};
    if (completion_entries != 0) {
        params.flags = IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP;
        params.cq_entries = completion_entries;
    }
    const int fd = sys_io_uring_setup(entries, &params);
    if (fd < 0) {
        throw RingUnavailable(setup_failure(errno));
    }
    ring_fd_.reset(fd);
    // The features this file relies on: one mapping for both rings (5.4), completions never
    // dropped when the CQ is full (5.5: the kernel keeps the overflow and hands it over as we make
    // room), and a timeout on the wait (5.11).
    if ((params.features & IORING_FEAT_NODROP) == 0) {
        throw RingUnavailable("the kernel lacks IORING_FEAT_NODROP (Linux 5.5 or later needed)");
    }
    ext_arg_ = (params.features & IORING_FEAT_EXT_ARG) != 0;
    if (!ext_arg_) {
        throw RingUnavailable("the kernel lacks IORING_FEAT_EXT_ARG (Linux 5.11 or later needed)");
    }
    sq_entries_ = params.sq_entries;
    cq_entries_ = params.cq_entries;

    sq_map_size_ = params.sq_off.array + params.sq_entries * sizeof(unsigned);
    cq_map_size_ = params.cq_off.cqes + params.cq_entries * sizeof(io_uring_cqe);
    const bool single = (params.features & IORING_FEAT_SINGLE_MMAP) != 0;
    if (single) {
        sq_map_size_ = cq_map_size_ = std::max(sq_map_size_, cq_map_size_);
    }
    try {
        sq_map_ = map(fd, sq_map_size_, IORING_OFF_SQ_RING);
        cq_map_ = single ? sq_map_ : map(fd, cq_map_size_, IORING_OFF_CQ_RING);
        sqes_size_ = params.sq_entries * sizeof(io_uring_sqe);
        sqes_ = static_cast<io_uring_sqe*>(map(fd, sqes_size_, IORING_OFF_SQES));
    } catch (...) {
        unmap(); // what was mapped; ring_fd_ closes itself
        throw;
    }

    // The offsets tell where in the mapping each field lives; they vary between kernels.
    auto* sq = static_cast<char*>(sq_map_);
    sq_head_ = reinterpret_cast<unsigned*>(sq + params.sq_off.head);
    sq_tail_ = reinterpret_cast<unsigned*>(sq + params.sq_off.tail);
    sq_mask_ = *reinterpret_cast<unsigned*>(sq + params.sq_off.ring_mask);
    sq_array_ = reinterpret_cast<unsigned*>(sq + params.sq_off.array);
    auto* cq = static_cast<char*>(cq_map_);
    cq_head_ = reinterpret_cast<unsigned*>(cq + params.cq_off.head);
    cq_tail_ = reinterpret_cast<unsigned*>(cq + params.cq_off.tail);
    cq_mask_ = *reinterpret_cast<unsigned*>(cq + params.cq_off.ring_mask);
    cqes_ = reinterpret_cast<io_uring_cqe*>(cq + params.cq_off.cqes);
    sqe_tail_ = load_relaxed(sq_tail_);
}

Ring::~Ring() {
    unmap();
}

void Ring::unmap() noexcept {
    // Unmapping while operations are in flight is safe for the kernel (it holds its own
    // references); closing the descriptor (ring_fd_'s destructor) cancels what is still running.
    if (sqes_ != nullptr) {
        ::munmap(sqes_, sqes_size_);
        sqes_ = nullptr;
    }
    if (cq_map_ != nullptr && cq_map_ != sq_map_) {
        ::munmap(cq_map_, cq_map_size_);
    }
    cq_map_ = nullptr;
    if (sq_map_ != nullptr) {
        ::munmap(sq_map_, sq_map_size_);
        sq_map_ = nullptr;
    }
}

io_uring_sqe* Ring::next_sqe() {
    // Acquire: a slot the kernel has moved past is one it has finished reading (see the top).
    const unsigned head = load_acquire(sq_head_);
    if (sqe_tail_ - head >= sq_entries_) {
        return nullptr; // full: submit() first, which lets the kernel take what is queued
    }
    const unsigned index = sqe_tail_ & sq_mask_;
    io_uring_sqe* sqe = &sqes_[index];
    std::memset(sqe, 0, sizeof *sqe);
    sq_array_[index] = index; // the indirection the SQ ring allows; we never use it
    ++sqe_tail_;
    return sqe;
}

unsigned Ring::pending() const {
    return sqe_tail_ - load_acquire(sq_head_);
}

unsigned Ring::space() const {
    return sq_entries_ - pending();
}

void Ring::register_buffer_ring(io_uring_buf_reg& registration) {
    const long done = ::syscall(__NR_io_uring_register, ring_fd_.get(), IORING_REGISTER_PBUF_RING,
                                &registration, 1);
    if (done < 0) {
        if (errno == EINVAL) {
            throw RingUnavailable(
                "IORING_REGISTER_PBUF_RING: not supported (Linux 5.19 or later needed)");
        }
        common::throw_errno("io_uring_register", "IORING_REGISTER_PBUF_RING");
    }
}

void Ring::unregister_buffer_ring(std::uint16_t group) noexcept {
    io_uring_buf_reg registration{};
    registration.bgid = group;
    ::syscall(__NR_io_uring_register, ring_fd_.get(), IORING_UNREGISTER_PBUF_RING, &registration,
              1);
}

int Ring::enter(unsigned to_submit, unsigned min_complete, unsigned flags, void* arg,
                std::size_t arg_size) {
    ++enter_calls_;
    return static_cast<int>(::syscall(__NR_io_uring_enter, ring_fd_.get(), to_submit, min_complete,
                                      flags, arg, arg_size));
}

unsigned Ring::submit() {
    // Release: publishes every SQE filled since the last submit (see the top).
    store_release(sq_tail_, sqe_tail_);
    const unsigned to_submit = pending();
    if (to_submit == 0) {
        return 0;
    }
    for (;;) {
        const int taken = enter(to_submit, 0, 0, nullptr, 0);
        if (taken >= 0) {
            return static_cast<unsigned>(taken);
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno == EBUSY || errno == EAGAIN) {
            // The CQ (with its overflow) is too full to accept more work until the caller takes
            // completions: leave the entries queued, a later submit takes them.
            return 0;
        }
        common::throw_errno("io_uring_enter");
    }
}

void Ring::submit_and_wait(std::optional<std::chrono::nanoseconds> timeout) {
    store_release(sq_tail_, sqe_tail_);
    unsigned flags = IORING_ENTER_GETEVENTS;
    __kernel_timespec ts{};
    io_uring_getevents_arg arg{};
    if (timeout) {
        const auto ns = std::max<std::chrono::nanoseconds::rep>(timeout->count(), 0);
        ts.tv_sec = ns / 1'000'000'000;
        ts.tv_nsec = ns % 1'000'000'000;
        arg.ts = reinterpret_cast<std::uint64_t>(&ts);
        flags |= IORING_ENTER_EXT_ARG;
    }
    const int taken =
        enter(pending(), 1, flags, timeout ? &arg : nullptr, timeout ? sizeof arg : 0);
    // ETIME: the timeout passed. EINTR: a signal. EBUSY: completions must be taken first. All
    // three just return; the caller looks at the CQ and decides.
    if (taken < 0 && errno != ETIME && errno != EINTR && errno != EBUSY && errno != EAGAIN) {
        common::throw_errno("io_uring_enter");
    }
}

std::optional<Completion> Ring::next_completion() {
    const unsigned head = load_relaxed(cq_head_); // ours: only we write it
    // Acquire: the CQEs before this tail are fully written (see the top).
    if (head == load_acquire(cq_tail_)) {
        return std::nullopt;
    }
    const io_uring_cqe& cqe = cqes_[head & cq_mask_];
    const Completion out{cqe.user_data, cqe.res, cqe.flags};
    // Release: our copy above is done before the kernel may reuse the slot.
    store_release(cq_head_, head + 1);
    return out;
}

unsigned Ring::ready() const {
    return load_acquire(cq_tail_) - load_relaxed(cq_head_);
}

void prep_connect(io_uring_sqe* sqe, int fd, const sockaddr_in& address, std::uint64_t user_data) {
    sqe->opcode = IORING_OP_CONNECT;
    sqe->fd = fd;
    sqe->addr = reinterpret_cast<std::uint64_t>(&address);
    sqe->off = sizeof address; // connect's addrlen travels in the offset field
    sqe->user_data = user_data;
}

void prep_send(io_uring_sqe* sqe, int fd, const void* data, std::size_t size,
               std::uint64_t user_data) {
    sqe->opcode = IORING_OP_SEND;
    sqe->fd = fd;
    sqe->addr = reinterpret_cast<std::uint64_t>(data);
    sqe->len = static_cast<std::uint32_t>(size);
    sqe->msg_flags = MSG_NOSIGNAL; // a vanished peer is -EPIPE, not a SIGPIPE that kills us
    sqe->user_data = user_data;
}

void prep_recv(io_uring_sqe* sqe, int fd, void* buffer, std::size_t size, std::uint64_t user_data) {
    sqe->opcode = IORING_OP_RECV;
    sqe->fd = fd;
    sqe->addr = reinterpret_cast<std::uint64_t>(buffer);
    sqe->len = static_cast<std::uint32_t>(size);
    sqe->user_data = user_data;
}

void prep_recv_multishot(io_uring_sqe* sqe, int fd, std::uint16_t group, std::uint64_t user_data) {
    sqe->opcode = IORING_OP_RECV;
    sqe->fd = fd;
    sqe->flags = IOSQE_BUFFER_SELECT; // no buffer of ours: the kernel picks one from the group
    sqe->buf_group = group;
    // POLL_FIRST: wait for data before picking a buffer (a first try on an empty socket would
    // otherwise take one and put it back, or fail with -ENOBUFS when the group is empty).
    sqe->ioprio = IORING_RECV_MULTISHOT | IORING_RECVSEND_POLL_FIRST;
    sqe->len = 0; // multishot: each chunk as large as the buffer it lands in
    sqe->user_data = user_data;
}

void require_multishot_recv() {
    utsname name{};
    int major = 0;
    int minor = 0;
    if (::uname(&name) == 0 && std::sscanf(name.release, "%d.%d", &major, &minor) == 2 &&
        major < 6) {
        throw RingUnavailable(std::string("multishot receive needs Linux 6.0 or later, this is ") +
                              name.release);
    }
}

void link_to_next(io_uring_sqe* sqe) {
    sqe->flags |= IOSQE_IO_LINK;
}

void prep_read(io_uring_sqe* sqe, int fd, void* buffer, std::size_t size, std::uint64_t user_data) {
    sqe->opcode = IORING_OP_READ;
    sqe->fd = fd;
    sqe->addr = reinterpret_cast<std::uint64_t>(buffer);
    sqe->len = static_cast<std::uint32_t>(size);
    sqe->off = static_cast<std::uint64_t>(-1); // "the current position": what read(2) does
    sqe->user_data = user_data;
}

void prep_cancel(io_uring_sqe* sqe, std::uint64_t target, std::uint64_t user_data) {
    sqe->opcode = IORING_OP_ASYNC_CANCEL;
    sqe->fd = -1;
    sqe->addr = target; // match by the target's user_data
    sqe->user_data = user_data;
}

void prep_timeout(io_uring_sqe* sqe, const __kernel_timespec& relative, std::uint64_t user_data) {
    sqe->opcode = IORING_OP_TIMEOUT;
    sqe->fd = -1;
    sqe->addr = reinterpret_cast<std::uint64_t>(&relative);
    sqe->len = 1;
    sqe->off = 0; // complete on time only, not after a number of other completions
    sqe->user_data = user_data;
}

void prep_nop(io_uring_sqe* sqe, std::uint64_t user_data) {
    sqe->opcode = IORING_OP_NOP;
    sqe->fd = -1;
    sqe->user_data = user_data;
}

sockaddr_in ipv4_address(const std::string& host, std::uint16_t port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    const std::string numeric = host == "localhost" ? "127.0.0.1" : host;
    if (::inet_pton(AF_INET, numeric.c_str(), &address.sin_addr) != 1) {
        throw std::invalid_argument("connect " + host + ":" + std::to_string(port) +
                                    ": not a numeric IPv4 address (or localhost)");
    }
    return address;
}

} // namespace ch02
