// Implementation of fiber.hpp: resume and suspend around fiber_switch, with the sanitizer
// announcements (sanitizers.hpp), the overflow handler's bookkeeping (stack.hpp), and the
// exception and unwinding rules described in the header.
#include "fiber.hpp"

#include "sanitizers.hpp"
#include "stack_pool.hpp"

#include <common/trace.hpp>

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <utility>

namespace ch05::fibers {
namespace {
thread_local Fiber* current_fiber = nullptr;
} // namespace

Fiber::Fiber(Body body, std::size_t stack_bytes)
    : stack_(StackPool::shared().take(stack_bytes)), body_(std::move(body)),
      tsan_fiber_(sanitizers::tsan_create()) {
    prepare_context(context_, stack_.top(), &Fiber::entry, this);
}

Fiber::~Fiber() {
    if (started_ && !finished_ && !running_) {
        // Suspended mid-body: resume it once more with unwinding_ set, so its suspend() throws
        // Unwind and the objects on its stack are destroyed — as if the body had returned early.
        unwinding_ = true;
        try {
            resume();
        } catch (...) {
            // A destructor cannot report it; what the body threw while unwinding is dropped.
        }
    }
    if (tsan_fiber_ != nullptr) {
        sanitizers::tsan_destroy(tsan_fiber_); // never the current fiber: we are not on it
    }
    if (!running_) {
        // Nothing runs on the stack any more: it can serve the next fiber (stack_pool.hpp).
        StackPool::shared().give(std::move(stack_));
    }
}

Fiber* Fiber::current() {
    return current_fiber;
}

void Fiber::resume() {
    if (finished_) {
        throw std::logic_error("resume: the fiber has finished");
    }
    if (running_) {
        throw std::logic_error("resume: the fiber is already running");
    }
    resumer_fiber_ = current_fiber;
    current_fiber = this;
    running_ = true;
    started_ = true;
    const Stack* previous_stack = set_running_stack(&stack_);

    void* fake_stack = nullptr; // ASan's state for the stack we are leaving (this one)
    sanitizers::start_switch(&fake_stack, stack_.bottom(), stack_.size());
    tsan_caller_ = sanitizers::tsan_current();
    sanitizers::tsan_switch_to(tsan_fiber_);
    common::trace::begin(); // --trace: this run of the fiber as a span on this thread
    fiber_switch(&caller_, &context_);
    // Back: the fiber suspended or finished (switch_out).
    sanitizers::finish_switch(fake_stack, nullptr, nullptr);
    if (common::trace::enabled()) {
        const std::string name = trace_what_ == nullptr
                                     ? std::string("fiber")
                                     : trace_what_ + (" " + std::to_string(trace_id_));
        common::trace::end(name.c_str());
    }

    set_running_stack(previous_stack);
    running_ = false;
    current_fiber = resumer_fiber_;
    if (finished_ && error_) {
        std::rethrow_exception(std::exchange(error_, nullptr));
    }
}

void Fiber::suspend() {
    Fiber* self = current_fiber;
    if (self == nullptr) {
        throw std::logic_error("suspend: not inside a fiber");
    }
    self->switch_out(false);
    // Resumed. If it was to be destroyed, leave the body by unwinding it.
    if (self->unwinding_) {
        throw Unwind{};
    }
}

void Fiber::switch_out(bool for_good) {
    // ASan: a fiber that will never run again passes nullptr, so its fake stack can be freed.
    void* fake_stack = nullptr;
    sanitizers::start_switch(for_good ? nullptr : &fake_stack, caller_stack_bottom_,
                             caller_stack_size_);
    sanitizers::tsan_switch_to(tsan_caller_);
    fiber_switch(&context_, &caller_);
    // Resumed (never reached when for_good). The resumer may be on another stack than last time.
    sanitizers::finish_switch(fake_stack, &caller_stack_bottom_, &caller_stack_size_);
}

void Fiber::entry(void* raw) {
    auto* self = static_cast<Fiber*>(raw);
    // First arrival on this stack: tell ASan, and learn the bounds of the resumer's stack.
    sanitizers::finish_switch(nullptr, &self->caller_stack_bottom_, &self->caller_stack_size_);
    if (!self->unwinding_) {
        try {
            self->body_();
        } catch (const Unwind&) {
            // Destroyed while suspended: the stack is unwound, nothing to report.
        } catch (...) {
            self->error_ = std::current_exception(); // carried out by resume()
        }
    }
    // Out of every catch block before switching away (see fiber.hpp).
    self->finished_ = true;
    self->switch_out(true);
    // Nothing switches back to a finished fiber.
    std::abort();
}

} // namespace ch05::fibers
