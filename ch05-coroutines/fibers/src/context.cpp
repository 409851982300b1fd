// The C++ half of the context switch: how a brand-new fiber's Context is laid out so that the first
// fiber_switch (switch.S) "returns" into its entry function. The book does this in its `spawn`
// (book ch. 5, c-fibers) by writing function addresses onto the new stack.
#include "context.hpp"

#include <cstddef>
#include <cstring>

namespace ch05::fibers {

void prepare_context(Context& context, void* stack_top, void (*entry)(void*), void* arg) {
    context = Context{};
    // Both ABIs want 16-byte alignment; the top of an mmap'ed stack already is, but a caller may
    // pass any address.
    auto top = reinterpret_cast<std::uintptr_t>(stack_top) & ~std::uintptr_t{15};
    context.arg = reinterpret_cast<std::uintptr_t>(arg);
#if defined(__x86_64__)
    // x86-64 enters a function through `call`, which pushes an 8-byte return address onto a stack
    // that was 16-byte aligned: so at a function's first instruction rsp % 16 == 8. fiber_switch
    // enters through `ret`, which pops 8 bytes. Put the entry address at top - 16 (aligned) and a
    // zero "return address" above it (where a debugger's backtrace stops): after the `ret`,
    // rsp = top - 8, exactly what a `call` would have left. The book's spawn writes `guard`, `skip`
    // and `f` for the same reason, because its functions do return.
    auto* slots = reinterpret_cast<std::uint64_t*>(top - 16);
    slots[0] = reinterpret_cast<std::uintptr_t>(entry);
    slots[1] = 0;
    context.rsp = top - 16;
    // The new fiber starts with the creating thread's floating-point control settings, as a new
    // thread would inherit them.
    std::uint32_t mxcsr = 0;
    std::uint16_t x87_cw = 0;
    asm volatile("stmxcsr %0" : "=m"(mxcsr));
    asm volatile("fnstcw %0" : "=m"(x87_cw));
    context.mxcsr = mxcsr;
    context.x87_cw = x87_cw;
#elif defined(__aarch64__)
    // AArch64 keeps the return address in x30, not on the stack, and sp is 16-aligned at all
    // times: fiber_switch's `ret` jumps to x30 with sp = top. A zero frame pointer ends the frame
    // chain for debuggers.
    context.sp = top;
    context.x30 = reinterpret_cast<std::uintptr_t>(entry);
    context.x29 = 0;
    // The creating thread's floating-point modes, as on x86-64.
    std::uint64_t fpcr = 0;
    asm volatile("mrs %0, fpcr" : "=r"(fpcr));
    context.fpcr = fpcr;
#endif
}

} // namespace ch05::fibers
