// ReceivedBuffer: one buffer of the UringReactor's pool (ch02's BufferRing), filled by the kernel
// and handed to a future by a receive's completion. It belongs to the future from then on, and
// goes back to the pool when the ReceivedBuffer is destroyed — so that 10,000 receives waiting for
// data share a few hundred buffers, and a future dropped with data still unread gives its buffers
// back all the same (RAII: nothing to remember).
//
// The other direction of ownership (uring_reactor.hpp): while a receive waits, the kernel owns no
// buffer of ours at all; it picks one from the pool only when it has bytes to put in it.
#pragma once

#include <cstdint>
#include <string_view>

namespace ch04 {

class UringReactor;

class ReceivedBuffer {
public:
    // Made by the reactor thread for a completion that carried buffer `id` with `bytes` in it.
    ReceivedBuffer(UringReactor& reactor, std::uint16_t id, std::string_view bytes)
        : reactor_(&reactor), id_(id), bytes_(bytes) {}
    // Gives the buffer back to the pool (any thread).
    ~ReceivedBuffer();
    ReceivedBuffer(ReceivedBuffer&& other) noexcept
        : reactor_(other.reactor_), id_(other.id_), bytes_(other.bytes_) {
        other.reactor_ = nullptr; // moved from: nothing to give back
    }
    ReceivedBuffer& operator=(ReceivedBuffer&&) = delete;
    ReceivedBuffer(const ReceivedBuffer&) = delete;
    ReceivedBuffer& operator=(const ReceivedBuffer&) = delete;

    // What the kernel received into the buffer. Valid until this object is destroyed.
    std::string_view bytes() const { return bytes_; }

private:
    UringReactor* reactor_; // the pool's owner, which outlives every future and operation
    std::uint16_t id_;
    std::string_view bytes_;
};

} // namespace ch04
