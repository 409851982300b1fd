// Implementation of uring_received_buffer.hpp.
#include "uring_received_buffer.hpp"

#include "uring_reactor.hpp"

namespace ch04 {

ReceivedBuffer::~ReceivedBuffer() {
    if (reactor_ != nullptr) {
        reactor_->give_back(id_);
    }
}

} // namespace ch04
