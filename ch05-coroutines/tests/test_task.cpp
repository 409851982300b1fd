// Tests of Task<T> and the trampoline (task.hpp, task_future.hpp, spawn.hpp's block_on): laziness,
// values and exceptions, a flat stack however many awaits complete at once, frames destroyed
// exactly once, frames that never move, and misuse that must fail loudly.
#include "ch05-coroutines/src/task.hpp"

#include "helpers.hpp"

#include "ch05-coroutines/src/future_awaiter.hpp"
#include "ch05-coroutines/src/spawn.hpp"
#include "ch05-coroutines/src/task_future.hpp"

#include <common/test_support/counted.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

using namespace ch05;
using namespace ch05::test;
using common::test::Counted;

namespace {

// Coroutines are free functions taking their parameters by value (see lifetime_traps.hpp).

Task<void> set_flag(bool* flag) {
    *flag = true;
    co_return;
}

Task<int> answer() {
    co_return 42;
}

Task<int> answer_plus_one() {
    co_return co_await answer() + 1;
}

Task<std::string> greet(std::string name) {
    co_return "hello " + name;
}

Task<int> throws_int(std::string what) {
    throw std::runtime_error(what);
    co_return 0; // never reached; makes this a coroutine
}

Task<void> throws_void(std::string what) {
    co_await yield_once(); // throw after a real suspension, not only at the start
    throw std::runtime_error(what);
}

Task<std::string> catch_from(Task<int> child) {
    try {
        co_await std::move(child);
    } catch (const std::runtime_error& e) {
        co_return std::string("caught: ") + e.what();
    }
    co_return "nothing thrown";
}

Task<std::string> catch_void_from(Task<void> child) {
    try {
        co_await std::move(child);
    } catch (const std::runtime_error& e) {
        co_return std::string("caught: ") + e.what();
    }
    co_return "nothing thrown";
}

Task<int> one() {
    co_return 1;
}

Task<long> sum_of_awaited_ones(long n) {
    long sum = 0;
    for (long i = 0; i < n; ++i) {
        sum += co_await one();
    }
    co_return sum;
}

Task<long> sum_of_ready_leaves(long n) {
    long sum = 0;
    for (long i = 0; i < n; ++i) {
        sum += co_await from_future(std::make_unique<ReadyNow<int>>(1));
    }
    co_return sum;
}

Task<void> nothing() {
    co_return;
}

Task<long> count_void_awaits(long n) {
    long count = 0;
    for (long i = 0; i < n; ++i) {
        co_await nothing();
        ++count;
    }
    co_return count;
}

Task<long> depth(long n) {
    if (n == 0) {
        co_return 0;
    }
    co_return 1 + co_await depth(n - 1);
}

Task<int> hold(Counted counted, bool suspend) {
    Counted local = counted; // a second object, living in the frame
    if (suspend) {
        co_await yield_once();
    }
    co_return 7;
}

Task<int> await_held(Counted counted) {
    const int a = co_await hold(counted, true);
    const int b = co_await hold(counted, false);
    co_return a + b;
}

// Records the address of a local before and after suspensions.
Task<bool> local_stays_put(std::vector<const void*>* addresses) {
    int local = 0;
    addresses->push_back(&local);
    co_await yield_once();
    addresses->push_back(&local);
    co_await yield_once();
    addresses->push_back(&local);
    co_return local == 0;
}

Task<int> await_twice(Task<int> task) {
    const int first = co_await std::move(task);
    const int second = co_await std::move(task); // a logic error: the task was awaited already
    co_return first + second;
}

Task<int> await_moved_from(Task<int> task) {
    Task<int> other = std::move(task);
    co_return co_await std::move(task); // a logic error: `task` is empty now
}

Task<void> suspend_on_something_foreign() {
    co_await std::suspend_always{}; // no waker is registered anywhere: nothing would wake us
}

} // namespace

TEST_CASE("a Task is lazy: nothing in its body runs until it is awaited or blocked on") {
    const Watchdog watchdog;
    bool ran = false;
    Task<void> task = set_flag(&ran);
    CHECK_FALSE(ran);
    CHECK_FALSE(task.done());
    block_on(std::move(task));
    CHECK(ran);
}

TEST_CASE("Task<T> hands its value to the awaiter, and block_on returns it") {
    const Watchdog watchdog;
    CHECK(block_on(answer()) == 42);
    CHECK(block_on(answer_plus_one()) == 43); // awaited by a coroutine, not only by block_on
    CHECK(block_on(greet("reader")) == "hello reader");
    block_on(nothing()); // Task<void>: finishes, returns nothing
}

TEST_CASE(
    "an exception thrown in a Task<T> or a Task<void> reaches the awaiting coroutine's catch") {
    const Watchdog watchdog;
    CHECK(block_on(catch_from(throws_int("int boom"))) == "caught: int boom");
    CHECK(block_on(catch_void_from(throws_void("void boom"))) == "caught: void boom");
    CHECK(block_on(catch_from(answer())) == "nothing thrown");
}

TEST_CASE("block_on rethrows the exception that ends the task") {
    const Watchdog watchdog;
    CHECK_THROWS_WITH_AS(block_on(throws_int("top boom")), "top boom", std::runtime_error);
    CHECK_THROWS_WITH_AS(block_on(throws_void("late boom")), "late boom", std::runtime_error);
}

TEST_CASE("a million awaits of Tasks that complete at once do not overflow the stack") {
    // With symmetric transfer and no tail call (g++ 12 at -O0 or under the sanitizers), each of
    // these awaits would add stack frames, and the loop would crash near 100,000.
    const Watchdog watchdog;
    constexpr long n = 1'000'000;
    CHECK(block_on(sum_of_awaited_ones(n)) == n);
    CHECK(block_on(count_void_awaits(n)) == n);
}

TEST_CASE("a million awaits of leaf futures that are ready at once do not overflow the stack") {
    const Watchdog watchdog;
    constexpr long n = 1'000'000;
    ch04::Executor executor(quiet_executor());
    CHECK(block_on(executor, sum_of_ready_leaves(n)) == n);
    CHECK(executor.polls() == 1); // never suspended: one poll ran the whole loop
}

TEST_CASE(
    "a chain of a hundred thousand nested Tasks keeps the stack flat on the way down and up") {
    const Watchdog watchdog;
    constexpr long n = 100'000;
    CHECK(block_on(depth(n)) == n);
}

TEST_CASE("every frame is destroyed exactly once: finished tasks, and tasks dropped unawaited") {
    const Watchdog watchdog;
    Counted::reset();
    SUBCASE("awaited to the end, with and without suspending") {
        CHECK(block_on(await_held(Counted{})) == 14);
    }
    SUBCASE("never awaited: dropping the Task destroys the frame and the parameters in it") {
        {
            Task<int> task = hold(Counted{}, true);
            CHECK(Counted::alive() >= 1); // the parameter lives in the frame
        }
        CHECK(Counted::alive() == 0);
    }
    SUBCASE("moved around and then dropped: still destroyed once") {
        {
            Task<int> a = hold(Counted{}, true);
            Task<int> b = std::move(a);
            Task<int> c = hold(Counted{}, false);
            c = std::move(b); // destroys c's own frame first
        }
        CHECK(Counted::alive() == 0);
    }
    SUBCASE("dropped while suspended: the executor destroys the unfinished task's frame") {
        {
            auto future = std::make_unique<TaskFuture<int>>(hold(Counted{}, true));
            const ch04::Waker waker(std::make_shared<ch04::ReadyQueue>(), 1);
            CHECK_FALSE(future->poll(waker).is_ready()); // suspended in yield_once
            CHECK(Counted::alive() == 2);                // the parameter and the local
        }
        CHECK(Counted::alive() == 0);
    }
    CHECK(Counted::constructed() > 0);
    CHECK(Counted::destroyed() == Counted::constructed());
}

TEST_CASE("a coroutine frame never moves: a local keeps its address across suspensions and moves "
          "of the Task") {
    const Watchdog watchdog;
    std::vector<const void*> addresses;
    // The frame's address is its handle's address(). Moving the Task moves the handle — the
    // moved-from Task is left empty — and the frame stays where it was allocated.
    detail::last_frame_size = 0;
    Task<bool> task = local_stays_put(&addresses);
    const std::size_t frame_size = detail::last_frame_size; // what operator new was asked for
    const void* frame = detail::TaskAccess::handle(task).address();
    REQUIRE(frame != nullptr);
    REQUIRE(frame_size > 0);
    Task<bool> moved = std::move(task);
    CHECK(detail::TaskAccess::handle(task).address() == nullptr);
    CHECK(detail::TaskAccess::handle(moved).address() == frame);
    Task<bool> moved_again = std::move(moved);
    CHECK(detail::TaskAccess::handle(moved_again).address() == frame);

    CHECK(block_on(std::move(moved_again)));
    REQUIRE(addresses.size() == 3);
    CHECK(addresses[0] == addresses[1]);
    CHECK(addresses[1] == addresses[2]);
    // And the local lives inside that frame, which is why it could not move either.
    const auto begin = reinterpret_cast<std::uintptr_t>(frame);
    const auto local = reinterpret_cast<std::uintptr_t>(addresses[0]);
    CHECK(local >= begin);
    CHECK(local < begin + frame_size);
}

TEST_CASE("awaiting a Task twice, or an empty one, is a logic error, not undefined behaviour") {
    const Watchdog watchdog;
    CHECK_THROWS_AS(block_on(await_twice(answer())), std::logic_error);
    CHECK_THROWS_AS(block_on(await_moved_from(answer())), std::logic_error);
    Task<int> task = answer();
    Task<int> taken = std::move(task);
    CHECK_THROWS_AS(block_on(std::move(task)), std::logic_error);
    CHECK(block_on(std::move(taken)) == 42);
}

TEST_CASE("a coroutine suspended on something that registers no waker fails loudly, not a hang, "
          "and block_on rethrows that cause") {
    // drive() throws outside the coroutine's body; block_on must hand that error to its caller,
    // not a generic "ended without a result" with the cause only on stderr.
    const Watchdog watchdog(std::chrono::seconds(10));
    CHECK_THROWS_WITH_AS(block_on(suspend_on_something_foreign()),
                         doctest::Contains("suspended without arranging a wake-up"),
                         std::logic_error);
}
