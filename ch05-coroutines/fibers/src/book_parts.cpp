// Implementation of book_parts.hpp. A bare switch to a new stack and back, with nothing of Fiber
// around it but the sanitizer announcements (sanitizers.hpp), which every switch needs.
#include "book_parts.hpp"

#include "context.hpp"
#include "sanitizers.hpp"
#include "stack.hpp"

#include <common/print.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace ch05::fibers {
namespace {

// The two sides of the swap. The new stack's function switches back to `main_side` when done.
struct Swap {
    Context main_side;
    Context new_side;
    const Stack* stack = nullptr;
    const void* main_bottom = nullptr;
    std::size_t main_size = 0;
    void* tsan_main = nullptr; // TSan's identity of the main side
};

std::string hex(std::uint64_t value) {
    char text[24];
    std::snprintf(text, sizeof text, "0x%016llx", static_cast<unsigned long long>(value));
    return text;
}

// The function that wakes up on the new stack (the book's `hello`).
void hello(void* raw) {
    auto* swap = static_cast<Swap*>(raw);
    sanitizers::finish_switch(nullptr, &swap->main_bottom, &swap->main_size);
    common::println("I LOVE WAKING UP ON A NEW STACK!");
    // Back to main. nullptr: this stack will never run again.
    sanitizers::start_switch(nullptr, swap->main_bottom, swap->main_size);
    sanitizers::tsan_switch_to(swap->tsan_main);
    fiber_switch(&swap->new_side, &swap->main_side);
    std::abort(); // nothing switches back here
}

void switch_to_new_stack(Swap& swap) {
    // TSan: the new stack is a fiber of its own for the length of the visit.
    swap.tsan_main = sanitizers::tsan_current();
    void* const tsan_new = sanitizers::tsan_create();
    void* fake_stack = nullptr;
    const Stack* previous = set_running_stack(swap.stack);
    sanitizers::start_switch(&fake_stack, swap.stack->bottom(), swap.stack->size());
    sanitizers::tsan_switch_to(tsan_new);
    fiber_switch(&swap.main_side, &swap.new_side);
    sanitizers::finish_switch(fake_stack, nullptr, nullptr);
    sanitizers::tsan_destroy(tsan_new);
    set_running_stack(previous);
}

} // namespace

void stack_swap_demo(std::size_t stack_bytes) {
    const Stack stack(stack_bytes);
    Swap swap;
    swap.stack = &stack;
    prepare_context(swap.new_side, stack.top(), &hello, &swap);
    switch_to_new_stack(swap);
}

void show_stack_demo(std::size_t stack_bytes) {
    const Stack stack(stack_bytes);
    Swap swap;
    swap.stack = &stack;
    prepare_context(swap.new_side, stack.top(), &hello, &swap);

    const auto top = reinterpret_cast<std::uintptr_t>(stack.top());
    common::println("stack: " + hex(reinterpret_cast<std::uintptr_t>(stack.bottom())) + " .. " +
                    hex(top) + " (" + std::to_string(stack.size() / 1024) +
                    " KiB, guard page below)");
    common::println("hello() is at " + hex(reinterpret_cast<std::uintptr_t>(&hello)));
    // The top 32 bytes, one 8-byte slot per line, highest address first as the book prints them.
    for (std::uintptr_t at = top - 8; at >= top - 32; at -= 8) {
        std::uint64_t value = 0;
        std::memcpy(&value, reinterpret_cast<const void*>(at), sizeof value);
        common::println("mem: " + hex(at) + ", val: " + hex(value));
    }
#if defined(__x86_64__)
    common::println("context: rsp = " + hex(swap.new_side.rsp) +
                    " (ret pops hello's address from there)");
#elif defined(__aarch64__)
    common::println("context: sp = " + hex(swap.new_side.sp) + ", x30 = " + hex(swap.new_side.x30) +
                    " (AArch64 keeps the return address in x30, not on the stack)");
#endif
    switch_to_new_stack(swap);
}

} // namespace ch05::fibers
