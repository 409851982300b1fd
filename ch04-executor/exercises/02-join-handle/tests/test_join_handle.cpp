// Tests of exercise ch04/02 (README.md says what each checks): a handle delivers the task's value
// or its exception to the task that polls it, and cancel() makes the task drop its future — the
// future destroyed (counted), its socket deregistered, the awaiter told Cancelled, nothing left
// open.
#include "join_handle.hpp"

#include "ch04-executor/src/executor.hpp"
#include "ch04-executor/src/http_get_future.hpp"
#include "ch04-executor/src/reactor.hpp"
#include "ch04-executor/src/sleep.hpp"

#include <common/delay_server.hpp>
#include <common/http.hpp>
#include <common/test_support/counted.hpp>
#include <common/test_support/resources.hpp>
#include <common/test_support/watchdog.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using common::test::Counted;

namespace {

ch04::Executor::Options quiet() {
    return ch04::Executor::Options{.name = "test", .verbose = false, .report_failures = false};
}

// A future that forwards to another and holds a Counted: the test sees when it is destroyed.
class CountedFuture final : public ch04::Future<std::string> {
public:
    explicit CountedFuture(std::unique_ptr<ch04::Future<std::string>> inner)
        : inner_(std::move(inner)) {}
    ch04::PollState<std::string> poll(const ch04::Waker& waker) override {
        return inner_->poll(waker);
    }

private:
    std::unique_ptr<ch04::Future<std::string>> inner_;
    Counted counted_;
};

struct Outcome {
    std::optional<std::string> value;
    std::exception_ptr error;
    bool repoll_refused = false;
};

// The awaiting task: spawns the future the factory makes, optionally cancels it after
// `cancel_after`, and polls the handle until it delivers.
class Joiner final : public ch04::Future<void> {
public:
    Joiner(std::function<std::unique_ptr<ch04::Future<std::string>>()> factory, Outcome& out,
           ch04::Reactor* reactor = nullptr, std::chrono::milliseconds cancel_after = 0ms)
        : factory_(std::move(factory)), out_(out), reactor_(reactor), cancel_after_(cancel_after) {}

    ch04::PollState<void> poll(const ch04::Waker& waker) override {
        if (!handle_) {
            handle_ = ch04::exercise::spawn_with_handle(factory_());
            if (reactor_ != nullptr) {
                timer_ = std::make_unique<ch04::Sleep>(*reactor_, cancel_after_);
            }
        }
        try {
            if (timer_ && timer_->poll(waker).is_ready()) {
                timer_.reset();
                handle_->cancel();
            }
            ch04::PollState<std::string> state = handle_->poll(waker);
            if (!state.is_ready()) {
                return ch04::PollState<void>::not_ready();
            }
            out_.value = state.take();
            try {
                (void)handle_->poll(waker);
            } catch (const std::logic_error&) {
                out_.repoll_refused = true;
            }
        } catch (...) {
            out_.error = std::current_exception();
        }
        timer_.reset();
        return ch04::PollState<void>::ready();
    }

private:
    std::function<std::unique_ptr<ch04::Future<std::string>>()> factory_;
    Outcome& out_;
    ch04::Reactor* reactor_;
    std::chrono::milliseconds cancel_after_;
    std::unique_ptr<ch04::exercise::JoinHandle<std::string>> handle_;
    std::unique_ptr<ch04::Sleep> timer_;
};

std::string message_of(const std::exception_ptr& error) {
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        return e.what();
    }
}

} // namespace

TEST_CASE("awaiting a handle gives the task's value, once") {
    common::test::Watchdog watchdog;
    const std::size_t baseline = common::test::open_descriptor_count();
    Counted::reset();
    {
        common::DelayServer server;
        ch04::Reactor reactor;
        Outcome out;
        ch04::Executor executor(quiet());
        executor.block_on(std::make_unique<Joiner>(
            [&] {
                return std::make_unique<CountedFuture>(std::make_unique<ch04::HttpGetFuture>(
                    reactor, server.endpoint(), common::delay_path(100, "joined"), false));
            },
            out));
        CHECK(out.error == nullptr);
        CHECK(out.value == std::optional<std::string>("joined"));
        CHECK(out.repoll_refused);
        CHECK(Counted::constructed() == 1);
        CHECK(Counted::alive() == 0);
        CHECK(reactor.registrations() == 0);
        CHECK(executor.failed_tasks() == 0);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("the task's exception reaches the task that awaits the handle") {
    common::test::Watchdog watchdog;
    common::test::RefusedPort refused;
    ch04::Reactor reactor;
    Outcome out;
    ch04::Executor executor(quiet());
    executor.block_on(std::make_unique<Joiner>(
        [&] {
            return std::make_unique<ch04::HttpGetFuture>(reactor, refused.endpoint(), "/0/x",
                                                         false);
        },
        out));
    REQUIRE(out.error != nullptr);
    CHECK_THROWS_AS(std::rethrow_exception(out.error), std::system_error);
    CHECK(message_of(out.error).find(refused.endpoint().to_string()) != std::string::npos);
    CHECK(executor.failed_tasks() == 0); // delivered to the awaiter, not reported as lost
}

TEST_CASE("cancel destroys the task's future, deregisters its socket, and the awaiter gets "
          "Cancelled") {
    common::test::Watchdog watchdog;
    const std::size_t baseline = common::test::open_descriptor_count();
    Counted::reset();
    {
        common::DelayServer server;
        ch04::Reactor reactor;
        Outcome out;
        ch04::Executor executor(quiet());
        const auto start = Clock::now();
        executor.block_on(std::make_unique<Joiner>(
            [&] {
                return std::make_unique<CountedFuture>(std::make_unique<ch04::HttpGetFuture>(
                    reactor, server.endpoint(), common::delay_path(5000, "never"), false));
            },
            out, &reactor, 100ms));
        const auto took = Clock::now() - start;
        REQUIRE(out.error != nullptr);
        CHECK_THROWS_AS(std::rethrow_exception(out.error), ch04::exercise::Cancelled);
        CHECK_FALSE(out.value.has_value());
        CHECK(took >= 100ms);
        CHECK(took < 2000ms); // not the 5 s the request would have taken
        CHECK(Counted::constructed() == 1);
        CHECK(Counted::alive() == 0);        // the future was destroyed exactly once
        CHECK(reactor.registrations() == 0); // its socket (and the timer) are gone
        CHECK(executor.pending_tasks() == 0);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}
