// Implementation of buffer_ring.hpp: the memory, the registration, and the tail we publish.
//
// The protocol is the SQ's (ring.cpp explains it): we write an entry {address, length, id} into
// the slot at tail & mask, then store the new tail with memory_order_release, so the kernel's
// acquire load of the tail sees a complete entry. The kernel's head is its own (not mapped), so we
// cannot see how many buffers it still has; the caller keeps that count (ch04 does).
#include "buffer_ring.hpp"

#include <common/error.hpp>

#include <atomic>
#include <cstddef>
#include <stdexcept>
#include <sys/mman.h>

namespace ch02 {
namespace {

void* map_anonymous(std::size_t size) {
    void* at = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (at == MAP_FAILED) {
        common::throw_errno("mmap", "buffer ring");
    }
    return at;
}

} // namespace

BufferRing::BufferRing(Ring& ring, std::uint16_t group, unsigned count, unsigned size)
    : ring_(ring), group_(group), count_(count), size_(size) {
    if (count == 0 || count > 32768 || (count & (count - 1)) != 0 || size == 0) {
        throw std::invalid_argument("buffer ring: count must be a power of two up to 32768");
    }
    // mmap, not new: the kernel wants the entries page-aligned. Untouched pages of the buffers
    // cost no memory until a receive first writes into them.
    entries_bytes_ = count * sizeof(io_uring_buf);
    memory_bytes_ = static_cast<std::size_t>(count) * size;
    entries_ = static_cast<io_uring_buf_ring*>(map_anonymous(entries_bytes_));
    try {
        memory_ = static_cast<char*>(map_anonymous(memory_bytes_));
        io_uring_buf_reg registration{};
        registration.ring_addr = reinterpret_cast<std::uint64_t>(entries_);
        registration.ring_entries = count;
        registration.bgid = group;
        ring_.register_buffer_ring(registration);
    } catch (...) {
        if (memory_ != nullptr) {
            ::munmap(memory_, memory_bytes_);
        }
        ::munmap(entries_, entries_bytes_);
        throw;
    }
    for (unsigned id = 0; id < count; ++id) {
        give_back(static_cast<std::uint16_t>(id));
    }
}

BufferRing::~BufferRing() {
    ring_.unregister_buffer_ring(group_);
    ::munmap(memory_, memory_bytes_);
    ::munmap(entries_, entries_bytes_);
}

std::string_view BufferRing::bytes(std::uint16_t id, std::size_t length) const {
    return {memory_ + static_cast<std::size_t>(id) * size_, length};
}

// The entries are an array of io_uring_buf from the first byte of the mapping. Not
// `entries_->bufs[i]`: the kernel header declares `bufs` behind an empty struct (its flexible-array
// idiom), which has size 0 in C but size 1 in C++, so in C++ `bufs` starts 8 bytes too late and
// every entry would land across two of the kernel's. (Seen: the kernel found no buffer at all.)
static_assert(sizeof(io_uring_buf) == 16);
static_assert(offsetof(io_uring_buf_ring, tail) == offsetof(io_uring_buf, resv));

void BufferRing::give_back(std::uint16_t id) {
    io_uring_buf& entry = reinterpret_cast<io_uring_buf*>(entries_)[tail_ & (count_ - 1)];
    entry.addr = reinterpret_cast<std::uint64_t>(memory_ + static_cast<std::size_t>(id) * size_);
    entry.len = size_;
    entry.bid = id;
    ++tail_; // a 16-bit index, wrapping as the kernel's does
    // Release: the entry above is complete before the kernel can see the tail that includes it.
    // (The tail shares its 16 bits with the first entry's `resv`, which the kernel never reads.)
    std::atomic_ref<std::uint16_t>(entries_->tail).store(tail_, std::memory_order_release);
}

} // namespace ch02
