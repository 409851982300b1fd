// Fiber: a function running on a stack of its own, which can stop in the middle (suspend) and be
// continued later (resume) — a stackful coroutine. Built on Context/fiber_switch (context.hpp) and
// Stack (stack.hpp); the book's runtime (green_threads.hpp) and the chapter-4 bridge
// (fiber_task.hpp) are both built on it.
//
//     Fiber fiber([] { step_one(); Fiber::suspend(); step_two(); }, 64 * 1024);
//     fiber.resume(); // runs step_one, returns at suspend()
//     fiber.resume(); // runs step_two, returns when the body returns
//
// Rules the class enforces or relies on:
//  - An exception that leaves the body is caught on the fiber's own stack and rethrown by the
//    resume() that saw the body end. Nothing ever unwinds across fiber_switch: its frames belong to
//    two different stacks.
//  - Destroying a fiber that is suspended in the middle of its body unwinds it: suspend() throws
//    Fiber::Unwind inside the fiber, so the destructors of the objects on its stack run, then the
//    fiber ends. A body must let Unwind pass (a `catch (...)` that swallows it keeps the fiber
//    running until it returns or suspends again, which throws Unwind again).
//  - A fiber is resumed on the thread that first resumed it (fiber_task.hpp says why).
//  - Do not suspend inside a `catch` block: the C++ runtime keeps the exceptions being handled in
//    a per-thread list, and another fiber's catch would interleave with ours.
#pragma once

#include "context.hpp"
#include "stack.hpp"

#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>

namespace ch05::fibers {

class Fiber {
public:
    using Body = std::function<void()>;

    // Thrown by suspend() inside a fiber that is being destroyed (see above).
    struct Unwind {};

    // Takes a stack (stack_bytes rounded up to pages, plus a guard page) from StackPool::shared(),
    // which maps a new one when it has none of that size; runs nothing yet. The destructor gives
    // the stack back.
    Fiber(Body body, std::size_t stack_bytes);
    ~Fiber();
    Fiber(const Fiber&) = delete;
    Fiber& operator=(const Fiber&) = delete;

    // Runs the fiber until it suspends or its body ends. Rethrows, once, what the body threw.
    // std::logic_error for a finished fiber, or one that is running (resuming yourself).
    void resume();

    // Called from inside a running fiber: returns control to the resume() that started this run;
    // returns when the fiber is resumed again. std::logic_error outside a fiber.
    static void suspend();

    // The fiber running on this thread, or nullptr.
    static Fiber* current();

    // --trace: the name of the span each run of this fiber records (from the switch into it to the
    // switch out of it) on the thread that resumes it: "<what> <id>", or "fiber" until set. `what`
    // must outlive the fiber (a string literal). Two words rather than a std::string: load mode
    // keeps ten thousand fibers, and the name is only built while tracing.
    void set_trace_name(const char* what, std::uint64_t id) {
        trace_what_ = what;
        trace_id_ = id;
    }

    bool started() const { return started_; }
    bool finished() const { return finished_; }
    const Stack& stack() const { return stack_; }
    // Test hook: the Context a first switch would load (the tests check its alignment).
    const Context& context_for_test() const { return context_; }

private:
    static void entry(void* self); // the first function on the new stack; never returns
    void switch_out(bool for_good);

    Stack stack_;
    Body body_;
    Context context_{}; // the fiber's registers while it is suspended
    Context caller_{};  // the resumer's registers while the fiber runs
    std::exception_ptr error_;
    const char* trace_what_ = nullptr; // --trace (set_trace_name)
    std::uint64_t trace_id_ = 0;
    Fiber* resumer_fiber_ = nullptr; // the fiber (if any) that called resume(): restored after
    bool started_ = false;
    bool running_ = false;
    bool finished_ = false;
    bool unwinding_ = false;
    // Sanitizer bookkeeping (sanitizers.hpp); unused in ordinary builds.
    const void* caller_stack_bottom_ = nullptr;
    std::size_t caller_stack_size_ = 0;
    void* tsan_fiber_ = nullptr;
    void* tsan_caller_ = nullptr;
};

} // namespace ch05::fibers
