// Tests of the Reactor (reactor.hpp) through its own API, with bare ReadyQueues as the wakers'
// targets: the register-then-wait ordering that upstream issue #23 got wrong (deterministic, via
// the reactor's test hooks), timers that fire, are cancelled or re-armed, a clean shutdown, a
// dying reactor thread, a wake that must survive the PollWaker's reset, and registrations that
// epoll refuses. Every case checks that the descriptors it opened are closed again.
#include "ch04-executor/src/reactor.hpp"
#include "ch04-executor/src/waker.hpp"

#include "helpers.hpp"

#include <common/error.hpp>
#include <common/fd.hpp>
#include <common/test_support/resources.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include <sys/socket.h>
#include <unistd.h>

namespace {

using namespace ch04;
using namespace ch04::test;

// A connected pair of non-blocking sockets: `ours` is registered with the reactor, `peer` plays the
// server and writes to it.
struct SocketPair {
    common::Fd ours;
    common::Fd peer;

    SocketPair() {
        int fds[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0) {
            common::throw_errno("socketpair");
        }
        ours.reset(fds[0]);
        peer.reset(fds[1]);
    }
    void peer_writes(std::string_view text) const {
        REQUIRE(::write(peer.get(), text.data(), text.size()) == static_cast<ssize_t>(text.size()));
    }
};

// Records what the reactor thread dispatched, via the reactor's after_dispatch hook, and lets the
// test thread wait (bounded) until a given id has been dispatched. This is how the tests order
// their steps against the reactor thread without sleeping.
class DispatchLog {
public:
    // The hooks that feed this log, for the reactor's constructor.
    Reactor::TestHooks hooks() {
        return Reactor::TestHooks{.after_dispatch = [this](ReactorId id, bool woke) {
            {
                std::lock_guard lock(mutex_);
                entries_.emplace_back(id, woke);
            }
            changed_.notify_all();
        }};
    }
    // Waits until `id` was dispatched; returns whether a waker was found for it (nullopt: the
    // event never came within the timeout).
    std::optional<bool> wait_for(ReactorId id, std::chrono::milliseconds timeout = 10s) {
        std::unique_lock lock(mutex_);
        std::optional<bool> woke;
        changed_.wait_for(lock, timeout, [&] {
            for (const auto& [seen, found] : entries_) {
                if (seen == id) {
                    woke = found;
                    return true;
                }
            }
            return false;
        });
        return woke;
    }
    std::size_t count(ReactorId id) {
        std::lock_guard lock(mutex_);
        return static_cast<std::size_t>(std::count_if(
            entries_.begin(), entries_.end(), [id](const auto& e) { return e.first == id; }));
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<std::pair<ReactorId, bool>> entries_;
};

bool holds(const std::vector<TaskId>& ids, TaskId id) {
    return std::find(ids.begin(), ids.end(), id) != ids.end();
}

TEST_CASE("register_fd stores the waker before epoll sees the socket, so an edge that is already "
          "there wakes it (upstream issue #23, deterministic)") {
    Watchdog dog;
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        DispatchLog log; // first: it must outlive the reactor thread that calls into it
        Reactor reactor(log.hooks());
        SocketPair pair;
        pair.peer_writes("x"); // readable before it is registered: the worst moment for an edge

        auto real = std::make_shared<ReadyQueue>();
        const ReactorId id = reactor.next_id();
        reactor.register_fd(pair.ours.get(), id, Waker(real, id)); // one call: waker, then epoll

        const std::optional<bool> woke = log.wait_for(id);
        REQUIRE(woke.has_value());             // the reactor saw the event ...
        CHECK(*woke);                          // ... found a waker for it ...
        CHECK(holds(wait_for_ids(*real), id)); // ... and it was ours
        reactor.deregister(pair.ours.get(), id);
        CHECK(reactor.registrations() == 0);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("register_fd stores the waker before adding the socket to epoll: a whole reactor turn "
          "between its two steps loses nothing (upstream issue #23, deterministic)") {
    // The other half of the test above. Between register_fd's two steps, the hook lets the reactor
    // thread run a whole turn: a second socket (the barrier) gets an edge, and the hook waits until
    // the reactor has dispatched it. Had register_fd added the socket to epoll first, that turn
    // (or an earlier one) would have fetched the socket's edge too, found no waker and dropped it
    // for good. In the right order the socket is not in epoll yet; it is added after the turn, and
    // its edge, reported then, finds the waker.
    Watchdog dog;
    const DescriptorCheck fds; // checked last, once everything below is gone
    DispatchLog log;           // first: it must outlive the reactor thread that calls into it
    SocketPair pair;
    SocketPair barrier;
    ReactorId target = 0; // set before it is registered; the hook runs on this thread
    ReactorId barrier_id = 0;
    Reactor::TestHooks hooks = log.hooks();
    hooks.inside_register_fd = [&](ReactorId id) {
        if (id == target) {
            barrier.peer_writes("b");
            REQUIRE(log.wait_for(barrier_id).has_value()); // the reactor has gone round
        }
    };
    Reactor reactor(std::move(hooks));

    auto barrier_queue = std::make_shared<ReadyQueue>();
    barrier_id = reactor.next_id();
    reactor.register_fd(barrier.ours.get(), barrier_id, Waker(barrier_queue, barrier_id));

    pair.peer_writes("x"); // readable before it is registered: its one edge must not be lost
    auto real = std::make_shared<ReadyQueue>();
    target = reactor.next_id();
    reactor.register_fd(pair.ours.get(), target, Waker(real, target));

    const std::optional<bool> woke = log.wait_for(target);
    REQUIRE(woke.has_value()); // the reactor saw the edge ...
    REQUIRE(*woke);            // ... and found the waker for it (not: dispatched to nobody)
    CHECK(holds(wait_for_ids(*real), target));
    reactor.deregister(pair.ours.get(), target);
    reactor.deregister(barrier.ours.get(), barrier_id);
    CHECK(reactor.registrations() == 0);
}

TEST_CASE("THE TRAP, documented: the book's order (register, then set_waker) loses an edge that "
          "arrives in between") {
    // This test shows the bug that register_fd's single call prevents. It emulates the book's
    // two steps — register the socket first, store the real waker afterwards — and forces the
    // unlucky interleaving deterministically: the event is dispatched (to whatever waker was
    // there, here a throwaway one) *before* the real waker is stored. Edge triggering never
    // reports that data again, so the real waker is never woken: the task would wait for ever.
    Watchdog dog;
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        DispatchLog log; // first: it must outlive the reactor thread that calls into it
        Reactor reactor(log.hooks());
        SocketPair pair;
        pair.peer_writes("x");

        auto throwaway = std::make_shared<ReadyQueue>();
        auto real = std::make_shared<ReadyQueue>();
        const ReactorId id = reactor.next_id();
        // Step 1 of the book's order: the socket is in epoll, but the task's waker is not stored.
        reactor.register_fd(pair.ours.get(), id, Waker(throwaway, id));
        REQUIRE(log.wait_for(id).has_value()); // the reactor has dispatched the only edge
        // Step 2, too late: the real waker is stored after the event went by.
        reactor.set_waker(id, Waker(real, id));

        // A barrier: a second socket's event is dispatched only after the reactor has gone round
        // its loop again. If the first edge were ever reported a second time, it would be by now.
        SocketPair barrier;
        barrier.peer_writes("y");
        auto barrier_queue = std::make_shared<ReadyQueue>();
        const ReactorId barrier_id = reactor.next_id();
        reactor.register_fd(barrier.ours.get(), barrier_id, Waker(barrier_queue, barrier_id));
        REQUIRE(log.wait_for(barrier_id).has_value());

        CHECK(holds(wait_for_ids(*throwaway), id)); // the event went to the wrong waker ...
        CHECK(real->empty());                       // ... and the real one never heard of it
        CHECK(log.count(id) == 1);                  // one edge, reported once
        // The data is still in the socket: only a future that reads *after* storing its waker
        // (HttpGetFuture::poll does) recovers it. That is the second half of the rule.
        char byte = 0;
        CHECK(::read(pair.ours.get(), &byte, 1) == 1);
        CHECK(byte == 'x');

        reactor.deregister(barrier.ours.get(), barrier_id);
        reactor.deregister(pair.ours.get(), id);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("an edge that arrives after registration wakes the stored waker, and set_waker redirects "
          "the next one") {
    Watchdog dog;
    const DescriptorCheck fds; // checked last, once everything below is gone
    DispatchLog log;           // first: it must outlive the reactor thread that calls into it
    Reactor reactor(log.hooks());
    SocketPair pair;
    auto first = std::make_shared<ReadyQueue>();
    auto second = std::make_shared<ReadyQueue>();
    const ReactorId id = reactor.next_id();
    reactor.register_fd(pair.ours.get(), id, Waker(first, id));
    CHECK(log.count(id) == 0); // nothing to read yet, nothing dispatched

    pair.peer_writes("a");
    CHECK(holds(wait_for_ids(*first), id));

    reactor.set_waker(id, Waker(second, id)); // as a future polled by a new waker does
    pair.peer_writes("b");                    // a new edge (edge triggering: new data)
    CHECK(holds(wait_for_ids(*second), id));
    CHECK(first->empty());
    reactor.deregister(pair.ours.get(), id);
    CHECK(reactor.registrations() == 0);
}

TEST_CASE("a timer fires once its deadline has passed, never before") {
    Watchdog dog;
    const DescriptorCheck fds; // checked last, once everything below is gone
    Reactor reactor;
    auto queue = std::make_shared<ReadyQueue>();
    const ReactorId id = reactor.next_id();
    const auto start = Clock::now();
    const auto deadline = start + 80ms;
    reactor.add_timer(id, deadline, Waker(queue, id));
    CHECK(reactor.registrations() == 1);
    CHECK(wait_for_ids(*queue) == std::vector<TaskId>{id});
    CHECK(Clock::now() >= deadline);
    CHECK(Clock::now() - start < 5s);    // generous: only "not stuck" is asserted
    CHECK(reactor.registrations() == 0); // a fired timer forgets its waker
}

TEST_CASE("a cancelled timer does not fire") {
    Watchdog dog;
    const DescriptorCheck fds; // checked last, once everything below is gone
    Reactor reactor;
    auto cancelled = std::make_shared<ReadyQueue>();
    auto barrier = std::make_shared<ReadyQueue>();
    const ReactorId id = reactor.next_id();
    const ReactorId barrier_id = reactor.next_id();
    const auto start = Clock::now();
    reactor.add_timer(id, start + 30ms, Waker(cancelled, id));
    reactor.cancel_timer(id);
    reactor.add_timer(barrier_id, start + 120ms, Waker(barrier, barrier_id));
    // Timers fire in deadline order, so once the later barrier has fired, the cancelled one
    // would have fired too — had it not been cancelled.
    CHECK(wait_for_ids(*barrier) == std::vector<TaskId>{barrier_id});
    CHECK(cancelled->empty());
    CHECK(reactor.registrations() == 0);
    reactor.cancel_timer(id); // cancelling again (or after firing) is harmless
}

TEST_CASE("a timer re-armed for later does not fire at its old deadline") {
    Watchdog dog;
    const DescriptorCheck fds; // checked last, once everything below is gone
    Reactor reactor;
    auto rearmed = std::make_shared<ReadyQueue>();
    auto barrier = std::make_shared<ReadyQueue>();
    const ReactorId id = reactor.next_id();
    const ReactorId barrier_id = reactor.next_id();
    const auto start = Clock::now();
    reactor.add_timer(id, start + 30ms, Waker(rearmed, id));
    reactor.add_timer(id, start + 60s, Waker(rearmed, id)); // the old heap entry is now stale
    reactor.add_timer(barrier_id, start + 120ms, Waker(barrier, barrier_id));
    CHECK(wait_for_ids(*barrier) == std::vector<TaskId>{barrier_id});
    CHECK(rearmed->empty());
    CHECK(reactor.registrations() == 1); // still armed, for the later deadline
    reactor.cancel_timer(id);
    CHECK(reactor.registrations() == 0);
}

TEST_CASE("a timer re-armed for sooner wakes the reactor thread and fires once, on time") {
    // The reactor thread is asleep in epoll_wait with a one-minute timeout when the earlier
    // deadline arrives: only the PollWaker's cross-thread wake makes it recompute the timeout.
    Watchdog dog(10s);         // without that wake, this test would wait a minute: fail sooner
    const DescriptorCheck fds; // checked last, once everything below is gone
    Reactor reactor;
    auto queue = std::make_shared<ReadyQueue>();
    auto barrier = std::make_shared<ReadyQueue>();
    const ReactorId id = reactor.next_id();
    const ReactorId barrier_id = reactor.next_id();
    const auto start = Clock::now();
    reactor.add_timer(id, start + 60s, Waker(queue, id));
    reactor.add_timer(id, start + 50ms, Waker(queue, id));
    CHECK(wait_for_ids(*queue) == std::vector<TaskId>{id});
    CHECK(Clock::now() >= start + 50ms);
    CHECK(Clock::now() - start < 10s); // had it waited for the old timeout: 60 s
    reactor.add_timer(barrier_id, Clock::now() + 50ms, Waker(barrier, barrier_id));
    CHECK(wait_for_ids(*barrier) == std::vector<TaskId>{barrier_id});
    CHECK(queue->empty()); // the stale 60 s entry is still in the heap, but fired nothing
    CHECK(reactor.registrations() == 0);
}

TEST_CASE("timers fire in deadline order, whatever order they were added in") {
    Watchdog dog;
    const DescriptorCheck fds; // checked last, once everything below is gone
    Reactor reactor;
    auto queue = std::make_shared<ReadyQueue>();
    const auto start = Clock::now();
    const ReactorId late = reactor.next_id();
    const ReactorId early = reactor.next_id();
    const ReactorId middle = reactor.next_id();
    reactor.add_timer(late, start + 150ms, Waker(queue, late));
    reactor.add_timer(early, start + 30ms, Waker(queue, early));
    reactor.add_timer(middle, start + 90ms, Waker(queue, middle));
    std::vector<TaskId> order;
    while (order.size() < 3) {
        const std::vector<TaskId> ids = wait_for_ids(*queue);
        order.insert(order.end(), ids.begin(), ids.end());
    }
    CHECK(order == std::vector<TaskId>{early, middle, late});
}

TEST_CASE("a reactor with sockets and timers still registered stops and joins its thread cleanly") {
    Watchdog dog;
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        SocketPair pair;
        auto queue = std::make_shared<ReadyQueue>();
        std::weak_ptr<ReadyQueue> watch = queue;
        {
            Reactor reactor;
            const ReactorId socket_id = reactor.next_id();
            reactor.register_fd(pair.ours.get(), socket_id, Waker(queue, socket_id));
            const ReactorId timer_id = reactor.next_id();
            reactor.add_timer(timer_id, Clock::now() + 60s, Waker(queue, timer_id));
            CHECK(reactor.registrations() == 2);
        } // the destructor wakes the thread through the PollWaker and joins it
        queue.reset();
        CHECK(watch.expired()); // the reactor dropped the wakers it held
    }
    CHECK(common::test::open_descriptor_count() == baseline); // epoll and eventfd closed too
}

TEST_CASE("a reactor thread that dies wakes every waiting task and refuses new work") {
    // Regression: the reactor thread used to report its error and end, leaving every task that
    // waited on it (and on its timers, the runs' deadlines) asleep forever.
    Watchdog dog;
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        SocketPair pair;
        auto queue = std::make_shared<ReadyQueue>();
        Reactor reactor;
        const ReactorId socket_id = reactor.next_id();
        reactor.register_fd(pair.ours.get(), socket_id, Waker(queue, socket_id));
        const ReactorId timer_id = reactor.next_id();
        reactor.add_timer(timer_id, Clock::now() + 3600s, Waker(queue, timer_id));

        reactor.fail_for_test("injected failure");
        std::vector<TaskId> woken;
        while (woken.size() < 2) {
            const std::vector<TaskId> ids = wait_for_ids(*queue);
            woken.insert(woken.end(), ids.begin(), ids.end());
        }
        std::sort(woken.begin(), woken.end());
        CHECK(woken == std::vector<TaskId>{socket_id, timer_id});
        CHECK(reactor.registrations() == 0);

        // The woken tasks poll again: each of these is what their futures would call.
        CHECK_THROWS_WITH(reactor.set_waker(socket_id, Waker(queue, socket_id)),
                          doctest::Contains("injected failure"));
        CHECK_THROWS_WITH(reactor.add_timer(reactor.next_id(), Clock::now(), Waker(queue, 1)),
                          doctest::Contains("reactor: stopped after an error"));
        reactor.deregister(pair.ours.get(), socket_id); // still allowed: it only cleans up
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

// Pauses the reactor thread inside its before_wake_reset hook the first time it gets there, until
// the test thread says go (bounded, so a broken test cannot keep ~Reactor from joining).
class PauseAtFirstReset {
public:
    Reactor::TestHooks hooks() {
        return Reactor::TestHooks{.before_wake_reset = [this] {
            std::unique_lock lock(mutex_);
            if (used_) {
                return;
            }
            used_ = true;
            paused_ = true;
            changed_.notify_all();
            changed_.wait_for(lock, 10s, [this] { return go_; });
        }};
    }
    bool wait_until_paused() {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, 10s, [this] { return paused_; });
    }
    void go() {
        {
            std::lock_guard lock(mutex_);
            go_ = true;
        }
        changed_.notify_all();
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    bool used_ = false;
    bool paused_ = false;
    bool go_ = false;
};

TEST_CASE("a failure injected just before the reactor resets its PollWaker is not swallowed: every "
          "waiting task is woken at once") {
    // Regression: the reactor thread read its injected failure right after epoll_wait, before
    // resetting the PollWaker. A failure injected between the two was not read, and its wake was
    // consumed by the reset: the reactor slept on until its next timer — here an hour away. The
    // hook stops the reactor thread in exactly that window; the failure must still be seen (reset
    // first, then read). Had it been missed, nothing would wake the task below: the watchdog
    // ends the test after 10 s instead of an hour.
    Watchdog dog(10s);
    const DescriptorCheck fds; // checked last, once everything below is gone
    PauseAtFirstReset pause;   // first: it must outlive the reactor thread that calls into it
    Reactor reactor(pause.hooks());
    auto queue = std::make_shared<ReadyQueue>();
    const ReactorId waiting = reactor.next_id();
    // The first timer is the earliest: adding it wakes the reactor thread through the PollWaker,
    // and the thread stops in the hook, before the reset.
    reactor.add_timer(waiting, Clock::now() + 3600s, Waker(queue, waiting));
    REQUIRE(pause.wait_until_paused());
    reactor.fail_for_test("injected failure"); // stores, then wakes: the wake the reset swallows
    pause.go();

    CHECK(wait_for_ids(*queue) == std::vector<TaskId>{waiting}); // woken by the dying reactor
    CHECK(reactor.registrations() == 0);
    CHECK_THROWS_WITH(reactor.add_timer(reactor.next_id(), Clock::now(), Waker(queue, 1)),
                      doctest::Contains("injected failure"));
}

TEST_CASE("a register_fd that epoll refuses (a regular file: EPERM) throws and keeps no waker") {
    Watchdog dog;
    const DescriptorCheck fds; // checked last, once everything below is gone
    Reactor reactor;
    const std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::tmpfile(), &std::fclose);
    REQUIRE(file != nullptr);
    auto queue = std::make_shared<ReadyQueue>();
    const std::weak_ptr<ReadyQueue> watch = queue;
    const ReactorId id = reactor.next_id();
    CHECK_THROWS_WITH(reactor.register_fd(::fileno(file.get()), id, Waker(queue, id)),
                      doctest::Contains("epoll_ctl ADD"));
    CHECK(reactor.registrations() == 0);
    CHECK_FALSE(reactor.set_waker(id, Waker(queue, id))); // nothing stored under the id
    queue.reset();
    CHECK(watch.expired()); // the reactor holds no waker that keeps the queue alive
}

TEST_CASE("a deregister that epoll refuses (the descriptor already closed: EBADF) throws and still "
          "forgets the waker") {
    Watchdog dog;
    const DescriptorCheck fds; // checked last, once everything below is gone
    Reactor reactor;
    SocketPair pair;
    auto queue = std::make_shared<ReadyQueue>();
    const std::weak_ptr<ReadyQueue> watch = queue;
    const ReactorId id = reactor.next_id();
    reactor.register_fd(pair.ours.get(), id, Waker(queue, id));
    CHECK(reactor.registrations() == 1);
    const int closed = pair.ours.get();
    pair.ours.reset(); // closed before deregister: the kernel drops it from epoll by itself
    CHECK_THROWS_WITH(reactor.deregister(closed, id), doctest::Contains("epoll_ctl DEL"));
    CHECK(reactor.registrations() == 0);
    queue.reset();
    CHECK(watch.expired());
}

} // namespace
