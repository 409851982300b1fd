// What a coroutine frame costs: the bytes the compiler asks the promise's operator new for
// (task.hpp notes them) when load mode's request coroutine is written four ways — three here, and
// src/load.cpp's own. A frame holds the parameters, the locals and (g++ 12) every temporary of a
// co_await's full-expression for the frame's whole life; ten thousand requests keep ten thousand
// frames. The test prints the four sizes and the sizeof of the other per-request objects, and
// checks that load.cpp's form — the awaiter built by a plain function, like main.cpp's
// get_with_deadline — is no bigger than the others. To see the numbers for your compiler and flags:
//     ctest --test-dir build/ch05 -R 'frame' -V
// Test code only; sits on top of the chapter's layer.
#include "ch05-coroutines/src/awaitables.hpp"
#include "ch05-coroutines/src/load.hpp"
#include "ch05-coroutines/src/task.hpp"
#include "ch05-coroutines/src/task_future.hpp"

#include "ch04-executor/src/http_get_future.hpp"

#include <common/load.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <cstddef>
#include <exception>
#include <string>

using namespace ch05;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

// The three rows are [[gnu::noinline]] so that their frames are really allocated: a frame that
// provably dies in the function that created it — frame_size_of below, if the call were inlined —
// may be placed in that function's stack frame instead (clang does it from -O1 on), and then
// operator new is never asked for its size.

// Row 1, everything inside the coroutine: four parameters, the awaiter built inside the co_await's
// full-expression (the path and two awaiters are its temporaries), the body checked inline, two
// catch clauses.
[[gnu::noinline]] Task<void> natural(std::size_t i, long delay_ms, Clock::time_point deadline,
                                     common::LoadTally* tally) {
    try {
        std::string body = co_await with_timeout(
            http_get(common::load_path(delay_ms, i)),
            std::chrono::ceil<milliseconds>(deadline - Clock::now()), "deadline");
        if (body == common::load_message(i)) {
            tally->succeed();
        } else {
            tally->fail(i, "wrong body '" + body.substr(0, 40) + "'");
        }
    } catch (const ch04::TimedOut& e) {
        tally->fail(i, e.what());
    } catch (const std::exception& e) {
        tally->fail(i, e.what());
    }
}

// Row 2: the same, with the awaiter built in a statement of its own and moved into the co_await.
[[gnu::noinline]] Task<void> own_statement(std::size_t i, long delay_ms, Clock::time_point deadline,
                                           common::LoadTally* tally) {
    try {
        auto get =
            with_timeout(http_get(common::load_path(delay_ms, i)),
                         std::chrono::ceil<milliseconds>(deadline - Clock::now()), "deadline");
        std::string body = co_await std::move(get);
        if (body == common::load_message(i)) {
            tally->succeed();
        } else {
            tally->fail(i, "wrong body '" + body.substr(0, 40) + "'");
        }
    } catch (const ch04::TimedOut& e) {
        tally->fail(i, e.what());
    } catch (const std::exception& e) {
        tally->fail(i, e.what());
    }
}

// Row 3: the same, awaited as an lvalue (no moved-into copy of the awaiter).
[[gnu::noinline]] Task<void> awaited_as_lvalue(std::size_t i, long delay_ms,
                                               Clock::time_point deadline,
                                               common::LoadTally* tally) {
    try {
        auto get =
            with_timeout(http_get(common::load_path(delay_ms, i)),
                         std::chrono::ceil<milliseconds>(deadline - Clock::now()), "deadline");
        std::string body = co_await get;
        if (body == common::load_message(i)) {
            tally->succeed();
        } else {
            tally->fail(i, "wrong body '" + body.substr(0, 40) + "'");
        }
    } catch (const ch04::TimedOut& e) {
        tally->fail(i, e.what());
    } catch (const std::exception& e) {
        tally->fail(i, e.what());
    }
}

// The frame size of a coroutine call: calling it allocates the frame and, the task being lazy,
// runs nothing (no Runtime is needed); dropping the Task frees the frame.
template <class Make>
std::size_t frame_size_of(Make make) {
    detail::last_frame_size = 0;
    const Task<void> task = make();
    return detail::last_frame_size;
}

} // namespace

TEST_CASE("frame size: load mode's request coroutine, its awaiter built by a plain function, has a "
          "frame no bigger than the same request with the awaiter built inside it (prints all "
          "four)") {
    const Clock::time_point deadline = Clock::now();
    const std::size_t row1 = frame_size_of([&] { return natural(0, 0, deadline, nullptr); });
    const std::size_t row2 = frame_size_of([&] { return own_statement(0, 0, deadline, nullptr); });
    const std::size_t row3 =
        frame_size_of([&] { return awaited_as_lvalue(0, 0, deadline, nullptr); });
    const std::size_t row4 = detail::load_request_frame_size(); // src/load.cpp's load_request

    MESSAGE("frame bytes: natural " << row1 << ", own statement " << row2 << ", lvalue " << row3
                                    << ", load.cpp " << row4);
    MESSAGE("sizeof: FutureAwaiter<std::string> "
            << sizeof(FutureAwaiter<std::string>)
            << ", TaskFuture<void> (the spawned-task adapter has the same members) "
            << sizeof(TaskFuture<void>) << ", LazyTimeout " << sizeof(LazyTimeout<std::string>)
            << ", HttpGetFuture " << sizeof(ch04::HttpGetFuture));

    // Each call went through the promise's operator new (no allocation was elided).
    CHECK(row1 > 0);
    CHECK(row2 > 0);
    CHECK(row3 > 0);
    CHECK(row4 > 0);
    // Whatever the exact bytes: load.cpp's form is smaller than row 1 and no bigger than rows 2
    // and 3, and every frame holds at least the awaiter it suspends in.
    CHECK(row4 < row1);
    CHECK(row4 <= row2);
    CHECK(row4 <= row3);
    CHECK(row4 >= sizeof(FutureAwaiter<std::string>));
}
