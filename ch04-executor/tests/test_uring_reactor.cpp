// Tests of the UringReactor (uring_reactor.hpp) and its leaf futures: the body through the ring,
// a refused connect, a timer, the ownership rule (what the kernel reads lives until the
// completion, however early its future is dropped), cancellation, the receive-buffer pool (empty
// pool, buffers given back, by dropped futures too), and every descriptor closed.
// Each test reports itself skipped, with the kernel's reason, where io_uring is unavailable.
#include "ch04-executor/src/executor.hpp"
#include "ch04-executor/src/uring_http_get_future.hpp"
#include "ch04-executor/src/uring_reactor.hpp"
#include "ch04-executor/src/uring_sleep.hpp"

#include "ch02-epoll-reactor/tests/ring_support.hpp"
#include "ch02-epoll-reactor/tests/support.hpp"
#include "helpers.hpp"

#include <common/delay_server.hpp>
#include <common/http.hpp>
#include <common/test_support/misbehaving_server.hpp>
#include <common/test_support/resources.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <sys/socket.h>
#include <vector>

using namespace ch04;
using namespace ch04::test;

namespace {

std::unique_ptr<Future<std::string>> uring_get(UringReactor& reactor,
                                               const common::Endpoint& server, std::string path) {
    return std::make_unique<UringHttpGetFuture>(reactor, server, std::move(path), false);
}

// Waits (bounded) until `done()` is true; false if it never became true.
template <class Done>
bool eventually(Done done, std::chrono::milliseconds limit = std::chrono::seconds(5)) {
    const auto give_up = Clock::now() + limit;
    while (!done()) {
        if (Clock::now() > give_up) {
            return false;
        }
        std::this_thread::yield();
    }
    return true;
}

// Holds the reactor thread at the start of its turn while closed: a test can then look at the
// state the reactor has *not* acted on yet, without racing it.
class Gate {
public:
    void close() {
        std::lock_guard lock(mutex_);
        open_ = false;
    }
    void open() {
        {
            std::lock_guard lock(mutex_);
            open_ = true;
        }
        condition_.notify_all();
    }
    void pass() {
        std::unique_lock lock(mutex_);
        condition_.wait(lock, [this] { return open_; });
    }

private:
    std::mutex mutex_;
    std::condition_variable condition_;
    bool open_ = true;
};

} // namespace

TEST_CASE("uring: UringHttpGetFuture gets the body, and every operation and descriptor is gone") {
    if (ch02::test::skip_without_ring(ch02::test::Needs::Multishot)) {
        return;
    }
    Watchdog dog;
    DescriptorCheck descriptors;
    common::DelayServer server;
    UringReactor reactor;
    Outcome<std::string> outcome;
    Executor executor(quiet());
    executor.block_on(make_task<Capture<std::string>>(
        uring_get(reactor, server.endpoint(), common::delay_path(50, "hello ring")), outcome));
    CHECK(outcome.error.empty());
    CHECK(outcome.value == std::optional<std::string>("hello ring"));
    CHECK(reactor.in_flight() == 0);
    CHECK(reactor.buffers_out() == 0); // the answer's buffers went back to the pool
    // socket, close, and at least one io_uring_enter: counted by the code, not assumed.
    CHECK(reactor.syscalls() >= 3);
}

TEST_CASE("uring: a refused connect is the task's error, with the kernel's reason") {
    if (ch02::test::skip_without_ring(ch02::test::Needs::Multishot)) {
        return;
    }
    Watchdog dog;
    DescriptorCheck descriptors;
    common::test::RefusedPort refused;
    UringReactor reactor;
    Outcome<std::string> outcome;
    Executor executor(quiet());
    executor.block_on(
        make_task<Capture<std::string>>(uring_get(reactor, refused.endpoint(), "/0/x"), outcome));
    CHECK(outcome.error == "connect " + refused.endpoint().to_string() + ": Connection refused");
    // The failed connect cancels the send and the receive linked after it; the task may have
    // reported the error before their completions (-ECANCELED) reach the reactor thread.
    CHECK(eventually([&] { return reactor.in_flight() == 0; }));
}

TEST_CASE("uring: UringSleep is ready after its duration, not before") {
    if (ch02::test::skip_without_ring(ch02::test::Needs::Multishot)) {
        return;
    }
    Watchdog dog;
    UringReactor reactor;
    Executor executor(quiet());
    const auto start = Clock::now();
    executor.block_on(make_task<UringSleep>(reactor, std::chrono::milliseconds(60)));
    CHECK(Clock::now() - start >= std::chrono::milliseconds(60));
    CHECK(reactor.in_flight() == 0);
}

TEST_CASE("uring: an operation queued while the reactor thread sleeps wakes it") {
    if (ch02::test::skip_without_ring(ch02::test::Needs::Multishot)) {
        return;
    }
    Watchdog dog;
    std::atomic<int> turns{0};
    UringReactor reactor(UringReactor::TestHooks{.at_turn_start = [&turns] { ++turns; }});
    REQUIRE(eventually([&] { return turns.load() >= 1; }));
    // The reactor thread has taken the (empty) queue and goes to sleep with nothing in flight but
    // its own wake read: only a wake can start another turn. Deterministic, not a race.
    auto op = std::make_shared<Operation>();
    op->kind = Operation::Kind::Timeout;
    op->timeout.tv_nsec = 1'000'000; // 1 ms
    reactor.submit(op, Waker(std::make_shared<ReadyQueue>(), 1));
    CHECK(eventually([&] { return reactor.in_flight() == 0; }));
    CHECK(turns.load() >= 2);
}

TEST_CASE("uring: a send in flight keeps the request it reads alive after its owner let go, until "
          "it completes") {
    if (ch02::test::skip_without_ring(ch02::test::Needs::Multishot)) {
        return;
    }
    Watchdog dog;
    DescriptorCheck descriptors;
    auto pair = ch02::test::tcp_pair();
    // Fill both socket buffers (near is non-blocking), so that the kernel cannot finish a send.
    const std::string block(64 * 1024, 'x');
    while (::send(pair.near.get(), block.data(), block.size(), MSG_NOSIGNAL) > 0) {
    }
    UringReactor reactor;
    auto queue = std::make_shared<ReadyQueue>();
    std::weak_ptr<Operation> watch;
    {
        auto op = std::make_shared<Operation>();
        op->kind = Operation::Kind::Send;
        op->socket = std::make_shared<common::Fd>(std::move(pair.near));
        op->request = "GET / HTTP/1.1\r\n\r\n";
        watch = op;
        reactor.submit(op, Waker(queue, 1));
    } // the owner's share is gone; the kernel still has to read the request
    CHECK_FALSE(watch.expired());
    CHECK(reactor.in_flight() == 1);
    pair.far.reset(); // the peer goes away: the send completes (with an error)
    // The completion arrives; only then does the reactor let the request go.
    CHECK(eventually([&] { return watch.expired(); }));
    CHECK(reactor.in_flight() == 0);
}

TEST_CASE("uring: dropping a future mid-receive cancels the receive, and the reactor keeps the "
          "operation until the completion arrives") {
    if (ch02::test::skip_without_ring(ch02::test::Needs::Multishot)) {
        return;
    }
    Watchdog dog;
    DescriptorCheck descriptors;
    common::test::MisbehavingServer silent(common::test::Misbehavior::Silent);
    Gate gate;
    UringReactor reactor(UringReactor::TestHooks{.at_turn_start = [&gate] { gate.pass(); }});
    auto queue = std::make_shared<ReadyQueue>();
    const Waker waker(queue, 1);

    auto get = std::make_unique<UringHttpGetFuture>(reactor, silent.endpoint(), "/0/x", false);
    CHECK_FALSE(get->poll(waker).is_ready()); // submits connect, send and receive as one chain
    // The quiet steps complete without a wake; then the receive waits (a silent server: forever).
    const auto send = get->send_operation().lock();
    REQUIRE(send);
    REQUIRE(eventually([&] {
        std::lock_guard lock(send->mutex);
        return send->done;
    }));
    const std::weak_ptr<const Operation> recv = get->recv_operation();
    REQUIRE(reactor.in_flight() == 1);

    gate.close(); // hold the reactor thread before it submits the cancel
    get.reset();  // the future is dropped mid-receive: it asks for a cancel and lets go
    // Deterministic: the cancel is not yet submitted, so the kernel still has the receive (its
    // user_data is the operation's address), and the reactor's share is what keeps it alive.
    CHECK_FALSE(recv.expired());
    gate.open();
    CHECK(eventually([&] { return reactor.in_flight() == 0; }));
    CHECK(eventually([&] { return recv.expired(); }));
}

TEST_CASE("uring: a receive that finds the pool empty waits, and gets its data once a buffer is "
          "given back") {
    if (ch02::test::skip_without_ring(ch02::test::Needs::Multishot)) {
        return;
    }
    Watchdog dog;
    DescriptorCheck descriptors;
    UringReactor reactor(BufferPoolSize{.count = 1, .bytes = 64}, UringReactor::TestHooks{});
    auto queue = std::make_shared<ReadyQueue>();
    auto first = ch02::test::tcp_pair();
    auto second = ch02::test::tcp_pair();
    const auto receive = [&](common::Fd& socket, TaskId id) {
        auto op = std::make_shared<Operation>();
        op->kind = Operation::Kind::Recv;
        op->socket = std::make_shared<common::Fd>(std::move(socket));
        reactor.submit(op, Waker(queue, id));
        return op;
    };
    const auto one = receive(first.near, 1);
    const auto two = receive(second.near, 2);
    const auto chunks_of = [](Operation& op) {
        std::lock_guard lock(op.mutex);
        return op.received.size();
    };

    ch02::test::send_text(first.far, "a"); // takes the only buffer, and keeps it (nobody takes it)
    REQUIRE(eventually([&] { return chunks_of(*one) == 1; }));
    CHECK(reactor.buffers_out() == 1);
    ch02::test::send_text(second.far, "b"); // no buffer for it: -ENOBUFS in the kernel
    const auto done_of = [](Operation& op) {
        std::lock_guard lock(op.mutex);
        return op.done;
    };
    REQUIRE(eventually([&] { return reactor.buffer_waits() == 1 || done_of(*two); }));
    CHECK_FALSE(done_of(*two)); // parked, not failed
    CHECK(reactor.buffer_waits() == 1);
    CHECK(chunks_of(*two) == 0);

    std::vector<ReceivedBuffer> taken;
    std::int32_t result = 0;
    CHECK_FALSE(UringReactor::take(*one, Waker(queue, 1), taken, result));
    REQUIRE(taken.size() == 1);
    CHECK(taken[0].bytes() == "a");
    taken.clear(); // the buffer goes back: the parked receive is submitted again and gets "b"
    REQUIRE(eventually([&] { return chunks_of(*two) == 1; }));
    CHECK_FALSE(UringReactor::take(*two, Waker(queue, 2), taken, result));
    REQUIRE(taken.size() == 1);
    CHECK(taken[0].bytes() == "b");
    taken.clear();
    CHECK(reactor.buffers_out() == 0);

    first.far.reset(); // end of both streams: each receive completes with 0
    second.far.reset();
    CHECK(eventually([&] { return reactor.in_flight() == 0; }));
    CHECK(UringReactor::take(*two, Waker(queue, 2), taken, result));
    CHECK(result == 0);
}

TEST_CASE("uring: a future dropped with received data unread gives its buffers back at once") {
    if (ch02::test::skip_without_ring(ch02::test::Needs::Multishot)) {
        return;
    }
    Watchdog dog;
    DescriptorCheck descriptors;
    // Sends a head and part of the body, then keeps the connection open: data, and no end.
    common::test::MisbehavingServer partial(common::test::Misbehavior::LongerBodyPromised);
    Gate gate;
    UringReactor reactor(UringReactor::TestHooks{.at_turn_start = [&gate] { gate.pass(); }});
    auto queue = std::make_shared<ReadyQueue>();
    auto get = std::make_unique<UringHttpGetFuture>(reactor, partial.endpoint(), "/0/x", false);
    CHECK_FALSE(get->poll(Waker(queue, 1)).is_ready());
    // Not polled again: what arrives stays in the receive's buffers, owned by the future.
    REQUIRE(eventually([&] { return reactor.buffers_out() >= 1; }));
    gate.close(); // the reactor thread cannot give anything back for the future meanwhile
    get.reset();
    CHECK(reactor.buffers_out() == 0);
    gate.open();
    CHECK(eventually([&] { return reactor.in_flight() == 0; }));
}

TEST_CASE("uring: many requests through a pool of two small buffers all get their bodies") {
    if (ch02::test::skip_without_ring(ch02::test::Needs::Multishot)) {
        return;
    }
    Watchdog dog;
    DescriptorCheck descriptors;
    common::DelayServer server;
    UringReactor reactor(BufferPoolSize{.count = 2, .bytes = 32}, UringReactor::TestHooks{});
    constexpr int kRequests = 40;
    std::vector<Outcome<std::string>> outcomes(kRequests);
    Executor executor(quiet());
    const auto request = [&](int i) {
        return make_task<Capture<std::string>>(
            uring_get(reactor, server.endpoint(),
                      common::delay_path(20, "body-" + std::to_string(i))),
            outcomes[static_cast<std::size_t>(i)]);
    };
    for (int i = 1; i < kRequests; ++i) {
        executor.spawn(request(i));
    }
    executor.block_on(request(0)); // returns when every task has finished
    for (int i = 0; i < kRequests; ++i) {
        const auto& outcome = outcomes[static_cast<std::size_t>(i)];
        CHECK(outcome.error.empty());
        CHECK(outcome.value == std::optional<std::string>("body-" + std::to_string(i)));
    }
    CHECK(reactor.buffers_out() == 0);
    CHECK(reactor.in_flight() == 0);
}

TEST_CASE("uring: a reactor destroyed with operations in flight cancels them and closes all") {
    if (ch02::test::skip_without_ring(ch02::test::Needs::Multishot)) {
        return;
    }
    Watchdog dog;
    DescriptorCheck descriptors;
    common::test::MisbehavingServer silent(common::test::Misbehavior::Silent);
    std::weak_ptr<Operation> watch;
    {
        UringReactor reactor;
        auto queue = std::make_shared<ReadyQueue>();
        auto pair = ch02::test::tcp_pair();
        auto op = std::make_shared<Operation>();
        op->kind = Operation::Kind::Recv;
        op->socket = std::make_shared<common::Fd>(std::move(pair.near));
        watch = op;
        reactor.submit(op, Waker(queue, 1));
    } // ~UringReactor: cancel, wait for the completion, then close the ring
    CHECK(watch.expired());
}
