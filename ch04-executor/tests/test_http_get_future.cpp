// Tests of HttpGetFuture (http_get_future.hpp) on the whole runtime: answers from the delay server
// (also when polled spuriously), many executors on many threads sharing one reactor, every mode of
// the misbehaving server ending in an error (the silent ones through a Timeout), a refused
// connection, a failed request that releases its socket at once, and a clean shutdown while
// requests are still outstanding. Every case checks that the descriptor count returns to its
// baseline.
#include "ch04-executor/src/executor.hpp"
#include "ch04-executor/src/http_get_future.hpp"
#include "ch04-executor/src/reactor.hpp"
#include "ch04-executor/src/sleep.hpp"

#include "helpers.hpp"

#include <common/delay_server.hpp>
#include <common/http.hpp>
#include <common/test_support/counted.hpp>
#include <common/test_support/misbehaving_server.hpp>
#include <common/test_support/resources.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace ch04;
using namespace ch04::test;
using common::test::Counted;
using common::test::Misbehavior;

std::unique_ptr<Future<std::string>> get(Reactor& reactor, const common::Endpoint& server,
                                         std::string path) {
    return std::make_unique<HttpGetFuture>(reactor, server, std::move(path), false);
}

TEST_CASE("HttpGetFuture gets the body from the delay server on the executor") {
    Watchdog dog;
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        common::DelayServer server;
        Reactor reactor;
        Outcome<std::string> outcome;
        Executor executor(quiet());
        executor.block_on(make_task<Capture<std::string>>(
            get(reactor, server.endpoint(), common::delay_path(50, "hello world/ä")), outcome));
        CHECK(outcome.error.empty());
        CHECK(outcome.value == std::optional<std::string>("hello world/ä"));
        CHECK(executor.polls() >= 2); // the answer comes 50 ms later: at least one wait
        CHECK(reactor.registrations() == 0);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("HttpGetFuture polled spuriously over and over still returns the body exactly once") {
    // A wake with nothing new to read must be harmless: read_until_blocked finds EAGAIN and the
    // future stays pending. (The book's ch. 4 demo counted a repeated event twice, bug #4.)
    Watchdog dog;
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        common::DelayServer server;
        Reactor reactor;
        Outcome<std::string> outcome;
        int polls = 0;
        Executor executor(quiet());
        executor.block_on(make_task<Capture<std::string>>(
            std::make_unique<SpuriousPoller<std::string>>(
                get(reactor, server.endpoint(), common::delay_path(50, "busy")), polls),
            outcome));
        CHECK(outcome.value == std::optional<std::string>("busy"));
        CHECK(polls > 2);
        CHECK(reactor.registrations() == 0);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("polling an HttpGetFuture after it completed is a logic error") {
    Watchdog dog;
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        common::DelayServer server;
        Reactor reactor;
        auto queue = std::make_shared<ReadyQueue>();
        HttpGetFuture future(reactor, server.endpoint(), common::delay_path(0, "once"), false);
        const Waker waker(queue, 7);
        PollState<std::string> state = future.poll(waker);
        while (!state.is_ready()) {
            wait_for_ids(*queue); // sleep until the reactor wakes us: no busy loop
            state = future.poll(waker);
        }
        CHECK(state.take() == "once");
        CHECK_THROWS_AS(future.poll(waker), std::logic_error);
        CHECK(reactor.registrations() == 0);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("an HttpGetFuture that fails releases its socket at once, not when it is destroyed") {
    // A task may keep a failed future for a long time (a Timeout keeps its inner future until it
    // is destroyed, a join keeps all its children): its socket and registration must not wait.
    Watchdog dog;
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        common::test::MisbehavingServer server(Misbehavior::Reset); // a read error: ECONNRESET
        Reactor reactor;
        const std::size_t before_request = common::test::open_descriptor_count();
        auto queue = std::make_shared<ReadyQueue>();
        const Waker waker(queue, 7);
        HttpGetFuture future(reactor, server.endpoint(), "/0/x", false);
        std::string error;
        try {
            while (!future.poll(waker).is_ready()) {
                wait_for_ids(*queue);
            }
        } catch (const std::exception& e) {
            error = e.what();
        }
        CHECK(contains(error, "reset"));
        // The future is still alive; its socket is not.
        CHECK(reactor.registrations() == 0);
        CHECK(common::test::open_descriptor_count() == before_request);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

// Stores the body of its request in `slot` (a string no other task touches), with a generous
// timeout so a lost wakeup fails instead of hanging.
class Record final : public Future<void> {
public:
    Record(Reactor& reactor, const common::Endpoint& server, std::string message, long delay_ms,
           std::string& slot)
        : get_(reactor, get(reactor, server, common::delay_path(delay_ms, message)), 10s,
               "request"),
          slot_(slot) {}
    PollState<void> poll(const Waker& waker) override {
        PollState<std::string> state = get_.poll(waker);
        if (!state.is_ready()) {
            return PollState<void>::not_ready();
        }
        slot_ = state.take();
        return PollState<void>::ready();
    }

private:
    Timeout<std::string> get_;
    std::string& slot_;
};

TEST_CASE("four executors on four threads share one reactor, and every answer is correct") {
    Watchdog dog;
    constexpr std::size_t kExecutors = 4;
    constexpr std::size_t kRequests = 50; // per executor
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        common::DelayServer server;
        Reactor reactor;
        // One result vector per executor: each is written by its own thread only and read after
        // join(), which orders the writes before the reads.
        std::vector<std::vector<std::string>> results(kExecutors,
                                                      std::vector<std::string>(kRequests));
        std::vector<std::uint64_t> failed(kExecutors, 0);
        const auto message = [](std::size_t e, std::size_t i) {
            return "exec" + std::to_string(e) + "-req" + std::to_string(i);
        };
        const auto run = [&](std::size_t e) {
            Executor executor(quiet("exec-" + std::to_string(e)));
            for (std::size_t i = 0; i < kRequests; ++i) {
                // Spread the delays so answers arrive while other executors are registering.
                executor.spawn(make_task<Record>(reactor, server.endpoint(), message(e, i),
                                                 static_cast<long>((i * 7 + e * 13) % 100),
                                                 results[e][i]));
            }
            executor.block_on(make_task<Sleep>(reactor, 0ms));
            failed[e] = executor.failed_tasks();
        };
        std::vector<std::thread> threads;
        for (std::size_t e = 1; e < kExecutors; ++e) {
            threads.emplace_back(run, e);
        }
        run(0);
        for (std::thread& t : threads) {
            t.join();
        }
        for (std::size_t e = 0; e < kExecutors; ++e) {
            CHECK(failed[e] == 0);
            for (std::size_t i = 0; i < kRequests; ++i) {
                CHECK(results[e][i] == message(e, i));
            }
        }
        CHECK(server.answered() == kExecutors * kRequests);
        CHECK(reactor.registrations() == 0);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("every mode of the misbehaving server ends in an error (the silent ones by a Timeout), "
          "and Trickle delivers the right body") {
    Watchdog dog;
    for (const Misbehavior mode : common::test::kAllMisbehaviors) {
        CAPTURE(common::test::to_string(mode));
        const std::size_t baseline = common::test::open_descriptor_count();
        {
            common::test::MisbehavingServer server(mode);
            Reactor reactor;
            Outcome<std::string> outcome;
            // Only the runtime's own timer can end the modes that never finish; the others get a
            // deadline long enough that a trickle (a byte every few ms, slower under a sanitizer)
            // never trips it, so their error is theirs and not a timeout.
            const auto limit = common::test::needs_deadline(mode) ? 300ms : 10000ms;
            const auto start = Clock::now();
            Executor executor(quiet());
            executor.block_on(make_task<Capture<std::string>>(
                std::make_unique<Timeout<std::string>>(
                    reactor, get(reactor, server.endpoint(), "/0/x"), limit, "get"),
                outcome));
            if (common::test::must_fail(mode)) {
                CHECK_FALSE(outcome.value.has_value());
                CHECK_FALSE(outcome.error.empty());
                if (common::test::needs_deadline(mode)) {
                    CHECK(outcome.error == "get: timed out");
                    CHECK(outcome.finished - start >= 300ms);
                } else {
                    CHECK_FALSE(contains(outcome.error, "timed out"));
                }
            } else {
                CHECK(outcome.error.empty());
                CHECK(outcome.value == std::optional<std::string>(common::test::kTrickleBody));
            }
            CHECK(reactor.registrations() == 0);
        }
        CHECK(common::test::open_descriptor_count() == baseline);
    }
}

TEST_CASE("a refused connection is an error of that task, reported by the executor") {
    Watchdog dog;
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        common::test::RefusedPort refused;
        Reactor reactor;
        Outcome<std::string> outcome;
        Executor executor(quiet());
        executor.block_on(
            make_task<Capture<std::string>>(get(reactor, refused.endpoint(), "/0/x"), outcome));
        CHECK(contains(outcome.error, "connect " + refused.endpoint().to_string()));
        CHECK(contains(outcome.error, "refused"));
        CHECK(reactor.registrations() == 0);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

// A request that holds a counted resource, so the test can see it destroyed.
class CountedGet final : public Future<std::string> {
public:
    CountedGet(Reactor& reactor, const common::Endpoint& server)
        : get_(reactor, server, "/0/pending", false) {}
    PollState<std::string> poll(const Waker& waker) override { return get_.poll(waker); }

private:
    Counted resource_;
    HttpGetFuture get_;
};

// Owns several requests and a Sleep; polls them all, and when the Sleep is done it finishes
// *without* them — the requests are still outstanding when the task (and they) are dropped.
class GiveUpAfter final : public Future<void> {
public:
    GiveUpAfter(Reactor& reactor, const common::Endpoint& server, int requests,
                std::chrono::milliseconds patience, std::size_t& registrations_seen)
        : reactor_(reactor), sleep_(reactor, patience), seen_(registrations_seen) {
        for (int i = 0; i < requests; ++i) {
            requests_.push_back(std::make_unique<CountedGet>(reactor, server));
        }
    }
    PollState<void> poll(const Waker& waker) override {
        for (auto& request : requests_) {
            CHECK_FALSE(request->poll(waker).is_ready()); // a silent server never answers
        }
        if (!sleep_.poll(waker).is_ready()) {
            seen_ = reactor_.registrations(); // every socket and the timer are registered
            return PollState<void>::not_ready();
        }
        return PollState<void>::ready();
    }

private:
    Reactor& reactor_;
    Sleep sleep_;
    std::vector<std::unique_ptr<CountedGet>> requests_;
    std::size_t& seen_;
};

TEST_CASE("clean shutdown while requests are outstanding: dropped futures deregister, executor "
          "and reactor stop, nothing leaks") {
    Watchdog dog;
    Counted::reset();
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        common::test::MisbehavingServer silent(Misbehavior::Silent);
        std::size_t seen = 0;
        {
            Reactor reactor;
            {
                // 1. A task that gives up on its requests while they are outstanding.
                Executor executor(quiet());
                executor.block_on(
                    make_task<GiveUpAfter>(reactor, silent.endpoint(), 4, 100ms, seen));
                CHECK(seen == 4 + 1);
                CHECK(reactor.registrations() == 0); // dropping the futures deregistered them
                CHECK(Counted::alive() == 0);
            }
            {
                // 2. An executor destroyed with tasks still pending whose requests are in flight:
                // each future was polled once (connected, sent, registered) and handed to a task
                // that the executor never got to run to the end.
                struct Adopt final : Future<void> {
                    std::unique_ptr<Future<std::string>> inner;
                    PollState<void> poll(const Waker& w) override {
                        return inner->poll(w).is_ready() ? PollState<void>::ready()
                                                         : PollState<void>::not_ready();
                    }
                };
                auto queue = std::make_shared<ReadyQueue>();
                Executor executor(quiet());
                for (int i = 0; i < 3; ++i) {
                    auto task = std::make_unique<Adopt>();
                    task->inner = std::make_unique<CountedGet>(reactor, silent.endpoint());
                    CHECK_FALSE(task->poll(Waker(queue, 1)).is_ready());
                    executor.spawn(std::move(task));
                }
                CHECK(reactor.registrations() == 3);
                CHECK(Counted::alive() == 3);
            } // the executor goes first, with its pending tasks ...
            CHECK(reactor.registrations() == 0);
            CHECK(Counted::alive() == 0);
        } // ... then the reactor, whose thread is woken and joined
        CHECK(Counted::constructed() == 7);
        CHECK(Counted::destroyed() == 7);
    } // and last the server, which still held the other ends of those connections
    CHECK(common::test::open_descriptor_count() == baseline);
}

} // namespace
