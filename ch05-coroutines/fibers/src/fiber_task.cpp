// Implementation of fiber_task.hpp: the bridge between a fiber and chapter 4's poll().
#include "fiber_task.hpp"

#include "ch04-executor/src/executor.hpp"
#include "ch04-executor/src/http_get_future.hpp"

#include <utility>

namespace ch05::fibers {
namespace {
// The waker of the FiberTask whose poll() is on this thread's stack. A fiber's body only runs
// inside its own task's poll(), so while it runs this is its task's waker.
thread_local const ch04::Waker* polling_waker = nullptr;
} // namespace

FiberTask::FiberTask(std::function<void()> body, std::size_t stack_bytes)
    : fiber_(std::move(body), stack_bytes) {}

ch04::PollState<void> FiberTask::poll(const ch04::Waker& waker) {
    if (!fiber_.started()) {
        owner_ = std::this_thread::get_id();
        // --trace: the fiber's spans carry the id of the task whose polls run it.
        fiber_.set_trace_name("fiber of task", waker.id());
    } else if (owner_ != std::this_thread::get_id()) {
        throw std::logic_error("FiberTask polled on another thread than the one that started it");
    }
    // Restores the outer value even when resume() rethrows (a fiber polled from inside a fiber).
    struct Restore {
        const ch04::Waker* previous;
        ~Restore() { polling_waker = previous; }
    } restore{std::exchange(polling_waker, &waker)};
    fiber_.resume();
    return fiber_.finished() ? ch04::PollState<void>::ready() : ch04::PollState<void>::not_ready();
}

std::unique_ptr<ch04::Future<void>> make_fiber_task(std::function<void()> body,
                                                    std::size_t stack_bytes) {
    return std::make_unique<FiberTask>(std::move(body), stack_bytes);
}

void spawn_fiber(std::function<void()> body, std::size_t stack_bytes) {
    ch04::spawn(make_fiber_task(std::move(body), stack_bytes));
}

const ch04::Waker& current_waker() {
    if (polling_waker == nullptr || Fiber::current() == nullptr) {
        throw std::logic_error("await: not inside a fiber run by a FiberTask");
    }
    return *polling_waker;
}

std::string http_get(ch04::Reactor& reactor, const common::Endpoint& server, std::string path,
                     bool announce) {
    // The future lives on the fiber's stack, which never moves: chapter 4's rule that a future
    // keeps its address (future.hpp) holds without a heap allocation.
    ch04::HttpGetFuture get(reactor, server, std::move(path), announce);
    return await(get);
}

std::string http_get(ch04::Reactor& reactor, const common::Endpoint& server, std::string path,
                     std::chrono::milliseconds limit, bool announce) {
    ch04::Sleep timer(reactor, limit);
    const std::string what = "GET " + path;
    ch04::HttpGetFuture get(reactor, server, std::move(path), announce);
    return await_until(get, timer, what);
}

void sleep_for(ch04::Reactor& reactor, std::chrono::milliseconds duration) {
    ch04::Sleep sleep(reactor, duration);
    await(sleep);
}

} // namespace ch05::fibers
