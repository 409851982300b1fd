// Implementation of task_future.hpp: the trampoline, the one place where coroutines are resumed.
#include "task_future.hpp"

#include <common/trace.hpp>

namespace ch05::detail {

bool drive(std::coroutine_handle<> top, TaskContext& context, const ch04::Waker& waker) {
    if (top.done()) {
        throw std::logic_error("ch05: task polled after completion");
    }
    context.waker = &waker;

    // 1. Waiting for a leaf: resume its coroutine only once the leaf has a result.
    if (context.pending != nullptr) {
        if (!context.pending->poll_leaf(waker)) {
            context.waker = nullptr;
            return false;
        }
        context.next = std::exchange(context.pending, nullptr)->waiting();
    }

    // 2. The trampoline.
    while (context.next) {
        common::trace::begin(); // --trace: each resumption as a span (common/trace.hpp)
        std::exchange(context.next, {}).resume();
        common::trace::end("resume coroutine");
    }
    context.waker = nullptr;

    // 3. Finished, or suspended in a leaf.
    if (top.done()) {
        return true;
    }
    if (context.pending == nullptr) {
        // Something suspended a coroutine that is not one of our awaitables (say,
        // std::suspend_always): nothing would ever wake this task. Fail loudly instead of hanging.
        throw std::logic_error("ch05: a coroutine suspended without arranging a wake-up "
                               "(co_await only Tasks and ch05 awaitables)");
    }
    return false;
}

} // namespace ch05::detail
