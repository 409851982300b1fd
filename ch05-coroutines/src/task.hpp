// Task<T>: the coroutine type of this chapter — what a function returns when its body says
// co_await or co_return. Lazy (nothing runs until it is awaited or spawned), move-only, and the
// owner of its coroutine frame, which it destroys exactly once. Above task_context.hpp; driven by
// TaskFuture (task_future.hpp), which turns a Task into a chapter-4 future.
//
// What the compiler generates for a coroutine (the part chapter 3 wrote by hand):
//
//     Task<std::string> fetch_two() {
//         std::string a = co_await http_get("/600/a");   // resume point 1
//         std::string b = co_await http_get("/400/b");   // resume point 2
//         co_return a + b;
//     }
//
// becomes, roughly, chapter 3's `Coroutine` class: a *frame* — one heap object holding the
// parameters, the promise, every local that lives across a co_await (`a`, and the awaiter being
// waited on; g++ 12 in fact keeps every local there) and the number of the resume point reached
// (chapter 3's `State`) — and a *resume function*, one switch on that number with the code between
// two co_awaits in each case (chapter 3's poll()). The difference: nobody has to write it, or keep
// it in step with the code.
//
// Calling fetch_two() allocates the frame (operator new), copies or moves the arguments into it,
// constructs the promise (Promise<T> below), asks it for the return object (get_return_object: the
// Task), and runs `co_await promise.initial_suspend()`. Ours always suspends there, so the call
// returns the Task and no line of the body has run: the task is lazy, like a Rust future.
// Each `co_await x` becomes: ask x.await_ready(); if false, save the resume point in the frame and
// call x.await_suspend(handle) — the coroutine is now suspended, and whoever holds the handle can
// resume() it later, which jumps back to that point and calls x.await_resume() for the value.
// `co_return v` calls promise.return_value(v), and then `co_await promise.final_suspend()`.
//
// Why the frame never moves (the C++ side of Rust's Pin, book ch. 9): the frame is allocated once,
// by the compiler, and the program only ever holds a *handle* to it (a pointer). There is no
// operation that moves a frame, so the locals in it — including the awaiter a TaskContext points
// at, and references from one local into another — keep their addresses until it is destroyed.
// Rust's async fn compiles to a value that *can* be moved until it is pinned; a C++ coroutine is
// born pinned. (Moving a Task moves the handle, not the frame.)
#pragma once

#include "task_context.hpp"

#include <coroutine>
#include <cstddef>
#include <exception>
#include <new>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace ch05 {

template <class T = void>
class Task;

namespace detail {

// The size of the last coroutine frame of this chapter allocated on this thread (0 before the
// first). Written by PromiseBase::operator new below; read by tests/test_frame_size.cpp, which
// prints what a frame costs. Per thread, so executors on several threads do not race on it.
inline thread_local std::size_t last_frame_size = 0;

// How the drivers (TaskFuture, spawn's adapter) reach a Task's handle; nobody else needs it.
struct TaskAccess;

// What every promise of this chapter has, whatever the result type. A promise is the object the
// compiler puts in the frame and consults at the start, the end and on an exception; ours also
// carries the links the trampoline needs.
struct PromiseBase {
    // Lazy start: the body runs only when someone resumes the coroutine (an awaiting parent, or
    // the TaskFuture of a spawned or blocked-on task).
    std::suspend_always initial_suspend() const noexcept { return {}; }

    // At the end, suspend (do not let the frame destroy itself: the Task owns it and the awaiter
    // still has to read the result out of it) and tell the trampoline to resume the parent next.
    // A top-level task has no parent: `next` becomes empty and the driver's loop ends.
    struct FinalAwaiter {
        bool await_ready() const noexcept { return false; }
        template <class P>
        void await_suspend(std::coroutine_handle<P> self) const noexcept {
            PromiseBase& promise = self.promise();
            promise.context->next = promise.continuation;
        }
        void await_resume() const noexcept {}
    };
    FinalAwaiter final_suspend() const noexcept { return {}; }

    // An exception that leaves the body ends the coroutine; the compiler catches it and calls this.
    // We keep it for the awaiter, which rethrows it where the co_await was written.
    void unhandled_exception() noexcept { error = std::current_exception(); }

    void rethrow_if_failed() const {
        if (error) {
            std::rethrow_exception(error);
        }
    }

    // Where every frame of this chapter comes from: when a promise type has an operator new, the
    // compiler allocates the frame with it (passing the frame's size) instead of the global one.
    // Ours only notes the size — so a test can print what a frame costs (test_frame_size.cpp) —
    // and forwards to the global heap. Production libraries use the same hook to recycle frames or
    // to take an allocator.
    static void* operator new(std::size_t frame_size) {
        last_frame_size = frame_size;
        return ::operator new(frame_size);
    }
    static void operator delete(void* frame) noexcept { ::operator delete(frame); }

    TaskContext* context = nullptr;       // the top-level task's trampoline; set when started
    std::coroutine_handle<> continuation; // the coroutine awaiting this one; empty at top level
    std::exception_ptr error;             // what escaped the body, if anything
};

template <class T>
class Promise : public PromiseBase {
public:
    Task<T> get_return_object() noexcept;
    void return_value(T value) { value_.emplace(std::move(value)); }
    // The awaiter takes the result exactly once, after the coroutine finished.
    T take_result() {
        rethrow_if_failed();
        return std::move(*value_);
    }

private:
    std::optional<T> value_;
};

template <>
class Promise<void> : public PromiseBase {
public:
    Task<void> get_return_object() noexcept;
    void return_void() const noexcept {}
    void take_result() const { rethrow_if_failed(); }
};

} // namespace detail

// A coroutine that produces a T (or nothing). Hold it, move it, await it once (`co_await
// std::move(task)`, or `co_await make_task()`), spawn it, or block_on it. Dropping a Task that was
// never awaited destroys its frame — and with it the parameters the frame holds — without running
// a line of the body.
//
// Take coroutine parameters by value: the frame keeps copies, so a lazy task never refers to a
// caller's object that is gone by the time it runs (lifetime_traps.hpp shows the trap).
template <class T>
class [[nodiscard]] Task {
    static_assert(!std::is_reference_v<T>, "Task<T&> is not supported: return a value");

public:
    using promise_type = detail::Promise<T>; // how the compiler finds the promise type
    using Handle = std::coroutine_handle<promise_type>;

    Task(Task&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
    Task& operator=(Task&& other) noexcept {
        if (this != &other) {
            destroy();
            handle_ = std::exchange(other.handle_, {});
        }
        return *this;
    }
    Task(const Task&) = delete; // one owner per frame, so it is destroyed exactly once
    Task& operator=(const Task&) = delete;
    ~Task() { destroy(); }

    // True once the body has finished (returned or thrown).
    bool done() const noexcept { return handle_ && handle_.done(); }

    // co_await on a Task: start the child and suspend the parent until the child has finished.
    // Suspending costs nothing here: the child's handle goes into the trampoline's `next` slot and
    // await_suspend returns; the driver resumes the child from its loop. (Returning the child's
    // handle from await_suspend — "symmetric transfer" — would resume it from inside this call,
    // which is only safe when the compiler turns the call into a tail call. g++ 12 does not at -O0
    // or under the sanitizers, and a million awaits that complete at once overflow the stack.)
    class Awaiter {
    public:
        explicit Awaiter(Handle child) noexcept : child_(child) {}
        // A lazy child has not run yet, so it cannot be ready: always suspend.
        bool await_ready() const noexcept { return false; }
        template <class P>
        void await_suspend(std::coroutine_handle<P> parent) const noexcept {
            const detail::PromiseBase& parent_promise = parent.promise();
            promise_type& child = child_.promise();
            child.continuation = parent;
            child.context = parent_promise.context; // the whole chain shares one trampoline
            child.context->next = child_;
        }
        // Resumed by the trampoline once the child has finished: its value, or its exception.
        T await_resume() const { return child_.promise().take_result(); }

    private:
        Handle child_;
    };

    // Only on an rvalue (`co_await std::move(task)`, or `co_await make_task()`), so the call site
    // says the task is used up. What really happens: the awaiter borrows the handle, and this Task
    // still owns the frame — the finished frame, with the result until the awaiter has taken it,
    // lives until the Task is destroyed. A second await of it is refused below.
    Awaiter operator co_await() && {
        if (!handle_) {
            throw std::logic_error("ch05: co_await on an empty Task (was it moved from?)");
        }
        if (handle_.promise().context != nullptr) {
            throw std::logic_error("ch05: a Task can be awaited (or spawned) only once");
        }
        return Awaiter(handle_);
    }

private:
    friend class detail::Promise<T>;
    friend struct detail::TaskAccess;

    explicit Task(Handle handle) noexcept : handle_(handle) {}

    // Destroying a suspended frame runs the destructors of everything in it (parameters, locals,
    // the awaiter of the co_await it stopped in — which cancels that socket or timer, and a child
    // Task being awaited, which destroys the child's frame in turn).
    void destroy() noexcept {
        if (handle_) {
            std::exchange(handle_, {}).destroy();
        }
    }

    Handle handle_;
};

namespace detail {

template <class T>
Task<T> Promise<T>::get_return_object() noexcept {
    return Task<T>(Task<T>::Handle::from_promise(*this));
}

inline Task<void> Promise<void>::get_return_object() noexcept {
    return Task<void>(Task<void>::Handle::from_promise(*this));
}

struct TaskAccess {
    template <class T>
    static typename Task<T>::Handle handle(const Task<T>& task) noexcept {
        return task.handle_;
    }
};

} // namespace detail

} // namespace ch05
