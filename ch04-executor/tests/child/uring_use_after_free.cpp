// A small program for test_uring_use_after_free.cpp, run as a child process under
// AddressSanitizer: what goes wrong when a future frees its buffer while the kernel still owns it.
//
//   uring_use_after_free free   — a recv is submitted with a heap Operation as its user_data, and
//                                 the Operation is deleted at once (a future dropped mid-recv that
//                                 neither cancels nor waits). Data arrives; the kernel writes it
//                                 into freed memory, and the completion handler then writes the
//                                 result into the freed Operation: ASan reports a
//                                 heap-use-after-free. Without ASan the corruption is silent.
//   uring_use_after_free keep   — the same, done right: cancel the recv and free the Operation only
//                                 once its completion has arrived. Exits 0, ASan quiet.
#include "ch02-epoll-reactor/src/ring.hpp"

#include <common/fd.hpp>

#include <arpa/inet.h>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <sys/socket.h>
#include <unistd.h>

namespace {

struct Operation {
    char buffer[64];
    int result = 0;
};

// A connected loopback pair: `near` for the ring's recv, `far` to send from.
void tcp_pair(common::Fd& near, common::Fd& far) {
    common::Fd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (!listener || ::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listener.get(), 1) != 0 ||
        ::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        std::perror("listen");
        std::_Exit(2);
    }
    near.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (::connect(near.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        std::perror("connect");
        std::_Exit(2);
    }
    far.reset(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
}

// Takes completions (bounded wait) and, as a reactor does, stores each result in the Operation
// its user_data names.
int complete_all(ch02::Ring& ring, int expected) {
    int seen = 0;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (seen < expected && std::chrono::steady_clock::now() < give_up) {
        ring.submit_and_wait(std::chrono::milliseconds(200));
        while (const auto c = ring.next_completion()) {
            ++seen;
            if (c->user_data > 1) { // 1: a cancel's own completion
                reinterpret_cast<Operation*>(c->user_data)->result = c->result;
            }
        }
    }
    return seen;
}

} // namespace

int main(int argc, char** argv) {
    const std::string_view mode = argc > 1 ? argv[1] : "";
    if (mode != "free" && mode != "keep") {
        std::fputs("usage: uring_use_after_free free|keep\n", stderr);
        return 2;
    }
    try {
        ch02::Ring ring(4);
        common::Fd near;
        common::Fd far;
        tcp_pair(near, far);
        auto* op = new Operation{};
        const auto id = reinterpret_cast<std::uint64_t>(op);
        ch02::prep_recv(ring.next_sqe(), near.get(), op->buffer, sizeof op->buffer, id);
        ring.submit();
        if (mode == "free") {
            delete op; // the bug: the kernel still owns op->buffer
            if (::write(far.get(), "hello", 5) != 5) {
                return 2;
            }
            complete_all(ring, 1); // writes the result into the freed Operation
            return 0;
        }
        ch02::prep_cancel(ring.next_sqe(), id, 1);
        complete_all(ring, 2); // the recv's completion (-ECANCELED) and the cancel's
        const int result = op->result;
        delete op; // now the kernel is done with it
        std::printf("recv completed with %d\n", result);
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
}
