// Tests of the Ring (ring.hpp) against the real kernel: the submission queue's bound and its reuse
// once the kernel has taken entries, completions matched by user_data whatever their order, and
// the results a failed or cancelled operation carries (-ECONNREFUSED, -ECANCELED), and the buffer
// ring a multishot receive picks from (-ENOBUFS when it is empty). Each test
// reports itself skipped, with the kernel's reason, where io_uring is unavailable.
#include "ring_support.hpp"
#include "support.hpp"

#include "ch02-epoll-reactor/src/buffer_ring.hpp"
#include "ch02-epoll-reactor/src/ring.hpp"

#include <common/fd.hpp>
#include <common/test_support/resources.hpp>
#include <common/test_support/watchdog.hpp>

#include <doctest/doctest.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace {

using ch02::Completion;
using ch02::Ring;

// Waits (bounded) until `count` completions have arrived and returns them in arrival order.
std::vector<Completion> wait_for(Ring& ring, std::size_t count) {
    std::vector<Completion> out;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (out.size() < count && std::chrono::steady_clock::now() < give_up) {
        ring.submit_and_wait(std::chrono::milliseconds(500));
        while (out.size() < count) {
            const auto c = ring.next_completion();
            if (!c) {
                break;
            }
            out.push_back(*c);
        }
    }
    return out;
}

} // namespace

TEST_CASE("ring: a full submission queue hands out no entry until the kernel has taken some") {
    if (ch02::test::skip_without_ring()) {
        return;
    }
    Ring ring(4);
    REQUIRE(ring.sq_capacity() == 4);
    for (std::uint64_t i = 0; i < 4; ++i) {
        io_uring_sqe* sqe = ring.next_sqe();
        REQUIRE(sqe != nullptr);
        ch02::prep_nop(sqe, 100 + i);
    }
    CHECK(ring.next_sqe() == nullptr); // four filled, none submitted: full
    CHECK(ring.pending() == 4);
    CHECK(ring.submit() == 4); // one system call for all four
    CHECK(ring.enter_calls() == 1);
    CHECK(ring.pending() == 0);
    CHECK(ring.next_sqe() != nullptr); // the kernel has taken them: the slots are free again
    ring.submit();                     // (the zeroed entry is a NOP with user_data 0)
    const auto done = wait_for(ring, 5);
    REQUIRE(done.size() == 5);
    std::map<std::uint64_t, int> results;
    for (const Completion& c : done) {
        results[c.user_data] = c.result;
    }
    CHECK(results == std::map<std::uint64_t, int>{{0, 0}, {100, 0}, {101, 0}, {102, 0}, {103, 0}});
    CHECK_FALSE(ring.next_completion().has_value());
}

TEST_CASE("ring: completions come in the order the operations finish, told apart by user_data") {
    if (ch02::test::skip_without_ring()) {
        return;
    }
    const common::test::Watchdog dog;
    Ring ring(8);
    auto a = ch02::test::tcp_pair();
    auto b = ch02::test::tcp_pair();
    std::array<char, 64> buffer_a{};
    std::array<char, 64> buffer_b{};
    ch02::prep_recv(ring.next_sqe(), a.near.get(), buffer_a.data(), buffer_a.size(), 1);
    ch02::prep_recv(ring.next_sqe(), b.near.get(), buffer_b.data(), buffer_b.size(), 2);
    REQUIRE(ring.submit() == 2);
    CHECK_FALSE(ring.next_completion().has_value()); // nothing sent yet: both wait in the kernel

    // Answer the second one first.
    ch02::test::send_text(b.far, "bee");
    const auto first = wait_for(ring, 1);
    REQUIRE(first.size() == 1);
    CHECK(first[0].user_data == 2);
    CHECK(first[0].result == 3);
    // The kernel has already copied the bytes into our buffer: no read() of ours is involved.
    CHECK(std::string(buffer_b.data(), 3) == "bee");

    ch02::test::send_text(a.far, "a");
    const auto second = wait_for(ring, 1);
    REQUIRE(second.size() == 1);
    CHECK(second[0].user_data == 1);
    CHECK(second[0].result == 1);
    CHECK(buffer_a[0] == 'a');
}

TEST_CASE("ring: a connect to a closed port completes with -ECONNREFUSED") {
    if (ch02::test::skip_without_ring()) {
        return;
    }
    const auto baseline = common::test::open_descriptor_count();
    std::uint16_t port = 0;
    {
        // Bind a port and close it again: nothing listens there now.
        auto pair = ch02::test::tcp_pair();
        sockaddr_in addr{};
        socklen_t len = sizeof addr;
        REQUIRE(::getpeername(pair.near.get(), reinterpret_cast<sockaddr*>(&addr), &len) == 0);
        port = ntohs(addr.sin_port);
    }
    Ring ring(2);
    common::Fd stream(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    REQUIRE(stream);
    const sockaddr_in address = ch02::ipv4_address("127.0.0.1", port);
    ch02::prep_connect(ring.next_sqe(), stream.get(), address, 7);
    const auto done = wait_for(ring, 1);
    REQUIRE(done.size() == 1);
    CHECK(done[0].user_data == 7);
    CHECK(done[0].result == -ECONNREFUSED);
    stream.reset();
    CHECK(common::test::open_descriptor_count() == baseline + 1); // + the ring itself
}

TEST_CASE("ring: a cancelled recv completes with -ECANCELED, and the cancel with 0") {
    if (ch02::test::skip_without_ring()) {
        return;
    }
    Ring ring(4);
    auto pair = ch02::test::tcp_pair();
    std::array<char, 16> buffer{};
    ch02::prep_recv(ring.next_sqe(), pair.near.get(), buffer.data(), buffer.size(), 11);
    REQUIRE(ring.submit() == 1);
    ch02::prep_cancel(ring.next_sqe(), 11, 12);
    const auto done = wait_for(ring, 2);
    REQUIRE(done.size() == 2);
    std::map<std::uint64_t, int> results;
    for (const Completion& c : done) {
        results[c.user_data] = c.result;
    }
    CHECK(results.at(11) == -ECANCELED);
    CHECK(results.at(12) == 0);
    // Cancelling what is no longer there: nothing matches.
    ch02::prep_cancel(ring.next_sqe(), 11, 13);
    const auto again = wait_for(ring, 1);
    REQUIRE(again.size() == 1);
    CHECK(again[0].result == -ENOENT);
}

TEST_CASE("ring: a wait with a timeout returns without a completion when nothing finishes") {
    if (ch02::test::skip_without_ring()) {
        return;
    }
    Ring ring(2);
    const auto start = std::chrono::steady_clock::now();
    ring.submit_and_wait(std::chrono::milliseconds(50));
    CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(50));
    CHECK_FALSE(ring.next_completion().has_value());
}

TEST_CASE("buffer ring: a multishot receive takes one buffer per chunk from the ring, -ENOBUFS "
          "when it is empty, and a buffer given back is picked again") {
    if (ch02::test::skip_without_ring(ch02::test::Needs::Multishot)) {
        return;
    }
    common::test::Watchdog dog;
    Ring ring(8);
    ch02::BufferRing buffers(ring, 5, 2, 16); // two buffers of 16 bytes, group 5
    auto pair = ch02::test::tcp_pair();
    ch02::prep_recv_multishot(ring.next_sqe(), pair.near.get(), buffers.group(), 7);
    ring.submit();

    // One chunk: the kernel picked a buffer when the data arrived, and the completion says which.
    const auto bytes_of = [&](const Completion& c) {
        REQUIRE((c.flags & IORING_CQE_F_BUFFER) != 0);
        const auto id = static_cast<std::uint16_t>(c.flags >> IORING_CQE_BUFFER_SHIFT);
        CHECK(id < 2);
        return std::pair{id, std::string(buffers.bytes(id, static_cast<std::size_t>(c.result)))};
    };
    ch02::test::send_text(pair.far, "first");
    auto got = wait_for(ring, 1);
    REQUIRE(got.size() == 1);
    CHECK(got[0].user_data == 7);
    CHECK((got[0].flags & IORING_CQE_F_MORE) != 0); // the receive goes on
    const auto [first_id, first] = bytes_of(got[0]);
    CHECK(first == "first");

    ch02::test::send_text(pair.far, "second");
    got = wait_for(ring, 1);
    REQUIRE(got.size() == 1);
    const auto [second_id, second] = bytes_of(got[0]);
    CHECK(second == "second");
    CHECK(second_id != first_id); // both buffers are ours now: the ring is empty

    ch02::test::send_text(pair.far, "third");
    got = wait_for(ring, 1);
    REQUIRE(got.size() == 1);
    CHECK(got[0].result == -ENOBUFS);
    CHECK((got[0].flags & IORING_CQE_F_MORE) == 0); // the receive has ended; "third" waits

    buffers.give_back(first_id);
    ch02::prep_recv_multishot(ring.next_sqe(), pair.near.get(), buffers.group(), 8);
    ring.submit();
    got = wait_for(ring, 1);
    REQUIRE(got.size() == 1);
    CHECK(got[0].user_data == 8);
    const auto [third_id, third] = bytes_of(got[0]);
    CHECK(third_id == first_id); // the only buffer in the ring
    CHECK(third == "third");

    // Even the end of stream needs a buffer in the ring (without one it is -ENOBUFS as well).
    buffers.give_back(second_id);
    pair.far.reset(); // end of stream: the last completion, 0 and no F_MORE
    got = wait_for(ring, 1);
    REQUIRE(got.size() >= 1);
    CHECK(got.back().result == 0);
}
