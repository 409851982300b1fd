// Context: the registers a suspended fiber keeps while something else runs, and fiber_switch, the
// hand-written function (switch.S) that saves them for one side and loads them for the other. The
// book's ThreadContext and `switch` (book ch. 5, c-fibers), for x86-64 and AArch64. Everything
// else in this folder is built on these two names.
#pragma once

#include <cstdint>

namespace ch05::fibers {

#if defined(__x86_64__)
// System V x86-64: the callee-saved registers, in the order switch.S stores them. The offsets are
// part of switch.S's contract, so they are checked at compile time below.
struct Context {
    std::uint64_t rsp = 0;
    std::uint64_t r15 = 0;
    std::uint64_t r14 = 0;
    std::uint64_t r13 = 0;
    std::uint64_t r12 = 0;
    std::uint64_t rbx = 0;
    std::uint64_t rbp = 0;
    std::uint64_t arg = 0;    // loaded into rdi: a new fiber's entry function's argument
    std::uint32_t mxcsr = 0;  // SSE control and status
    std::uint16_t x87_cw = 0; // x87 control word
};
static_assert(__builtin_offsetof(Context, rbp) == 0x30);
static_assert(__builtin_offsetof(Context, arg) == 0x38);
static_assert(__builtin_offsetof(Context, mxcsr) == 0x40);
static_assert(__builtin_offsetof(Context, x87_cw) == 0x44);
#elif defined(__aarch64__)
// AAPCS64: x19-x28, the frame pointer x29, the link register x30, sp, d8-d15 and FPCR.
struct Context {
    std::uint64_t sp = 0;
    std::uint64_t x19_x28[10] = {};
    std::uint64_t x29 = 0;        // frame pointer
    std::uint64_t x30 = 0;        // link register: where fiber_switch's `ret` goes
    std::uint64_t d8_d15[8] = {}; // the low halves of v8-v15, as raw bits
    std::uint64_t arg = 0;        // loaded into x0: a new fiber's entry function's argument
    std::uint64_t fpcr = 0;       // floating-point control (rounding mode and other modes)
};
static_assert(__builtin_offsetof(Context, x29) == 0x58);
static_assert(__builtin_offsetof(Context, d8_d15) == 0x68);
static_assert(__builtin_offsetof(Context, arg) == 0xa8);
static_assert(__builtin_offsetof(Context, fpcr) == 0xb0);
#else
#error "ch05 fibers: the context switch exists for x86-64 (System V) and AArch64 (AAPCS64) only"
#endif

// Prepares `context` so that the first fiber_switch into it calls entry(arg) on the stack whose
// highest address is `stack_top`, with the stack aligned as the ABI requires at a function's
// entry. entry must never return: there is no caller above it on that stack.
void prepare_context(Context& context, void* stack_top, void (*entry)(void*), void* arg);

extern "C" {
// switch.S. Saves the current callee-saved registers into *from and continues where *to was saved.
// Returns when something switches back to *from.
void fiber_switch(Context* from, const Context* to);
// switch.S. The stack pointer at the call site (tests check the ABI's alignment with it).
std::uintptr_t fiber_stack_pointer();
}

} // namespace ch05::fibers
