// Fibers on chapter 4's runtime. A FiberTask is a chapter-4 Future<void> whose poll() resumes a
// fiber; inside the fiber, await(future) polls a chapter-4 leaf future with the task's current
// Waker and, while it is not ready, suspends the fiber — which makes poll() return not_ready. When
// the reactor wakes the task, the executor polls it, poll() resumes the fiber, and await() polls
// the leaf future again. No new scheduler: chapter 4's Executor drives fibers exactly as it drives
// hand-written futures (and ch05's coroutine tasks).
//
//     ch04::Executor executor;
//     executor.block_on(make_fiber_task([&] {
//         std::string body = http_get(reactor, server, "/1000/hello");  // looks blocking; is not
//         common::println(body);
//     }, 64 * 1024));
//
// A fiber stays on the executor thread that first polled it (poll() checks it): its stack holds
// the values thread-locals had when it suspended (errno, the current Fiber, ASan's and TSan's
// per-thread state, the overflow handler's alternate signal stack, the C++ runtime's exception
// bookkeeping), and moving the stack to another thread would leave all of them describing the wrong
// thread. Chapter 4's executors never move a task between threads, so this holds by construction.
#pragma once

#include "fiber.hpp"

#include "ch04-executor/src/future.hpp"
#include "ch04-executor/src/reactor.hpp"
#include "ch04-executor/src/sleep.hpp"
#include "ch04-executor/src/waker.hpp"

#include <common/net.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>

namespace ch05::fibers {

class FiberTask final : public ch04::Future<void> {
public:
    FiberTask(std::function<void()> body, std::size_t stack_bytes);

    // Resumes the fiber with `waker` as the one await() hands to leaf futures. Ready when the
    // body has returned; rethrows what it threw (the executor reports it and drops the task).
    // Destroying an unfinished FiberTask unwinds its fiber (fiber.hpp): the leaf futures on its
    // stack are destroyed, which deregisters their sockets and timers.
    ch04::PollState<void> poll(const ch04::Waker& waker) override;

    const Fiber& fiber() const { return fiber_; }

private:
    Fiber fiber_;
    std::thread::id owner_; // the executor thread that first polled it
};

// A FiberTask on the heap, ready for ch04::Executor::block_on or ch04::spawn.
std::unique_ptr<ch04::Future<void>> make_fiber_task(std::function<void()> body,
                                                    std::size_t stack_bytes);

// Spawns a fiber on the chapter-4 executor running on this thread (ch04::spawn).
void spawn_fiber(std::function<void()> body, std::size_t stack_bytes);

// The Waker of the FiberTask being polled on this thread. std::logic_error outside a FiberTask.
const ch04::Waker& current_waker();

// Waits for `future` inside a fiber: poll, and suspend until woken while it is not ready. Returns
// its value; what its poll() throws propagates into the fiber, as an ordinary exception would.
template <class T>
T await(ch04::Future<T>& future) {
    for (;;) {
        ch04::PollState<T> state = future.poll(current_waker());
        if (state.is_ready()) {
            if constexpr (std::is_void_v<T>) {
                return;
            } else {
                return state.take();
            }
        }
        Fiber::suspend();
    }
}

// Like await(future), but throws std::runtime_error("<what>: timed out") when `timer` is ready
// first. Both are polled with the same waker, so whichever event comes first resumes the fiber.
template <class T>
T await_until(ch04::Future<T>& future, ch04::Sleep& timer, const std::string& what) {
    for (;;) {
        ch04::PollState<T> state = future.poll(current_waker());
        if (state.is_ready()) {
            if constexpr (std::is_void_v<T>) {
                return;
            } else {
                return state.take();
            }
        }
        if (timer.poll(current_waker()).is_ready()) {
            throw std::runtime_error(what + ": timed out");
        }
        Fiber::suspend();
    }
}

// GET `path` from `server`, from inside a fiber, as a function that looks blocking: the fiber
// waits, the executor thread does not. Returns the body; throws what chapter 4's HttpGetFuture
// throws. `announce`: print the book's "FIRST POLL - START OPERATION".
std::string http_get(ch04::Reactor& reactor, const common::Endpoint& server, std::string path,
                     bool announce = false);

// The same with a deadline: throws std::runtime_error("GET <path>: timed out") after `limit`.
std::string http_get(ch04::Reactor& reactor, const common::Endpoint& server, std::string path,
                     std::chrono::milliseconds limit, bool announce = false);

// Sleeps inside a fiber for `duration` (chapter 4's Sleep, awaited).
void sleep_for(ch04::Reactor& reactor, std::chrono::milliseconds duration);

} // namespace ch05::fibers
