// BufferRing: a pool of receive buffers that the kernel picks from (a "provided buffer ring",
// IORING_REGISTER_PBUF_RING, Linux 5.19), so that a receive waiting for data holds no buffer.
//
// Why it exists. With a plain recv (prep_recv) the caller hands the kernel a buffer at submission,
// and the kernel owns it until the completion: 10,000 connections waiting for an answer pin
// 10,000 buffers, though only the few whose data has arrived need one. With a buffer ring the
// recv names a *group* instead of a buffer (IOSQE_BUFFER_SELECT); the kernel takes a buffer from
// the group only when data is there to copy, and the completion says which one it took
// (IORING_CQE_F_BUFFER, the buffer id in the flags' upper 16 bits). From then on the buffer is the
// program's, until the program puts it back with give_back().
//
// The ring is a third single-producer, single-consumer queue shared with the kernel, like the SQ:
// we produce (put buffers in, move the tail), the kernel consumes (takes buffers, moves a head it
// keeps to itself). Not thread-safe: one thread at a time calls give_back (ch04 holds a lock).
#pragma once

#include "ring.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ch02 {

class BufferRing {
public:
    // `count` buffers (a power of two, at most 32,768) of `size` bytes each, registered with
    // `ring` as buffer group `group`, all of them given to the kernel. Throws RingUnavailable when
    // the kernel has no buffer rings (before 5.19), std::system_error for other failures.
    BufferRing(Ring& ring, std::uint16_t group, unsigned count, unsigned size);
    // Unregisters the group, then frees the memory. Must run while `ring` is still open and with
    // no receive in flight that may pick from the group.
    ~BufferRing();
    BufferRing(const BufferRing&) = delete;
    BufferRing& operator=(const BufferRing&) = delete;

    // The first `length` bytes of buffer `id`, as a completion handed it over.
    std::string_view bytes(std::uint16_t id, std::size_t length) const;
    // Puts buffer `id` back: the kernel may pick it for the next receive.
    void give_back(std::uint16_t id);

    std::uint16_t group() const { return group_; }
    unsigned count() const { return count_; }
    unsigned size() const { return size_; }

private:
    Ring& ring_;
    std::uint16_t group_;
    unsigned count_;
    unsigned size_;
    io_uring_buf_ring* entries_ = nullptr; // shared with the kernel (page-aligned, as it demands)
    std::size_t entries_bytes_ = 0;
    char* memory_ = nullptr; // the buffers themselves, count_ * size_ bytes
    std::size_t memory_bytes_ = 0;
    std::uint16_t tail_ = 0; // our next entry; the kernel sees it when published
};

} // namespace ch02
