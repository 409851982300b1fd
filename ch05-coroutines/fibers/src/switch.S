// switch.S: the context switch, written by hand — the heart of ch05's fibers and the C++ twin of
// the book's `switch` function (book ch. 5, c-fibers). context.hpp declares it and describes the
// Context layout it reads and writes; fiber.cpp is its only caller.
//
//     void fiber_switch(Context* from, const Context* to);
//
// It stores the registers that the ABI says a called function must leave unchanged (the
// "callee-saved" registers) into *from, loads the ones saved in *to, and returns — but on the
// other stack, to the place where *to was saved (or, for a new fiber, into its entry function).
// Every other register is "caller-saved": the compiler already assumes any call destroys them, so
// there is nothing to save. That is the whole trick: a switch is a function call that returns
// somewhere else.
//
// Two architectures, chosen by the compiler's predefined macros. A third needs its own copy of this
// file (its ABI names other registers), so anything else stops the build here.

#if defined(__x86_64__)

// ---- x86-64, System V ABI (Linux, macOS, the BSDs; not Windows: see the README) --------------
//
// Callee-saved: rbx, rbp, r12-r15, rsp, plus the control bits of MXCSR (SSE rounding mode and
// exception masks) and of the x87 control word. No xmm register is callee-saved in this ABI.
// Context offsets (context.hpp): rsp 0x00, r15 0x08, r14 0x10, r13 0x18, r12 0x20, rbx 0x28,
// rbp 0x30, arg 0x38, mxcsr 0x40, x87 control word 0x44.

    .intel_syntax noprefix
    .text
    .globl fiber_switch
    .type fiber_switch, %function
    .p2align 4
fiber_switch:
    // rdi = from, rsi = to (the first two integer arguments in System V).
    // On entry rsp points at our return address, which the `call` pushed. Saving rsp saves it too:
    // whoever switches back to `from` later will `ret` to that address.
    mov [rdi + 0x00], rsp
    mov [rdi + 0x08], r15      // the six callee-saved general-purpose registers
    mov [rdi + 0x10], r14
    mov [rdi + 0x18], r13
    mov [rdi + 0x20], r12
    mov [rdi + 0x28], rbx
    mov [rdi + 0x30], rbp
    stmxcsr [rdi + 0x40]       // SSE control/status (rounding mode, exception masks): 32 bits
    fnstcw [rdi + 0x44]        // x87 control word (precision, rounding): 16 bits

    // From here on we are the `to` side. Load its stack pointer first: the next `ret` pops from it.
    mov rsp, [rsi + 0x00]
    mov r15, [rsi + 0x08]
    mov r14, [rsi + 0x10]
    mov r13, [rsi + 0x18]
    mov r12, [rsi + 0x20]
    mov rbx, [rsi + 0x28]
    mov rbp, [rsi + 0x30]
    ldmxcsr [rsi + 0x40]
    fldcw [rsi + 0x44]
    // The first argument for a new fiber's entry function (the book's d-fibers-closure does the
    // same with its thread pointer). A resumed fiber ignores it: rdi is caller-saved, so the code we
    // return into expects nothing in it.
    mov rdi, [rsi + 0x38]
    // Pop the return address from the new stack and jump there: back into the fiber_switch call
    // that saved `to`, or, for a new fiber, into the entry function fiber.cpp wrote on its stack.
    ret
    .size fiber_switch, . - fiber_switch

    // Returns the stack pointer its caller had at the call instruction (our rsp plus the return
    // address the call pushed). The tests use it to check the ABI's alignment inside a fiber: at
    // every call, rsp must be a multiple of 16.
    .globl fiber_stack_pointer
    .type fiber_stack_pointer, %function
    .p2align 4
fiber_stack_pointer:
    lea rax, [rsp + 8]
    ret
    .size fiber_stack_pointer, . - fiber_stack_pointer

#elif defined(__aarch64__)

// ---- AArch64, AAPCS64 (Linux; Apple's arm64 ABI keeps the same callee-saved set) --------------
//
// Callee-saved: x19-x28, the frame pointer x29, the link register x30 (our return address: `bl`
// puts it there instead of on the stack), sp, the low 64 bits of v8-v15, which is d8-d15, and the
// mode bits of FPCR (rounding mode, flush-to-zero, default NaN): AArch64's MXCSR.
// sp must be a multiple of 16 whenever it is used to access memory.
// Context offsets (context.hpp): sp 0x00, x19..x28 0x08..0x50, x29 0x58, x30 0x60,
// d8..d15 0x68..0xa0, arg 0xa8, fpcr 0xb0.

    .text
    .globl fiber_switch
    .type fiber_switch, %function
    .p2align 4
fiber_switch:
    // x0 = from, x1 = to.
    mov x9, sp                 // sp cannot be stored directly: copy it to a scratch register
    str x9, [x0, #0x00]
    stp x19, x20, [x0, #0x08]  // stp stores a pair: x19 at 0x08, x20 at 0x10
    stp x21, x22, [x0, #0x18]
    stp x23, x24, [x0, #0x28]
    stp x25, x26, [x0, #0x38]
    stp x27, x28, [x0, #0x48]
    stp x29, x30, [x0, #0x58]  // frame pointer, and the return address into our caller
    stp d8, d9, [x0, #0x68]    // the callee-saved halves of the vector registers
    stp d10, d11, [x0, #0x78]
    stp d12, d13, [x0, #0x88]
    stp d14, d15, [x0, #0x98]
    mrs x9, fpcr               // floating-point control: a system register, read through x9
    str x9, [x0, #0xb0]

    // Now become `to`.
    ldr x9, [x1, #0x00]
    mov sp, x9
    ldp x19, x20, [x1, #0x08]
    ldp x21, x22, [x1, #0x18]
    ldp x23, x24, [x1, #0x28]
    ldp x25, x26, [x1, #0x38]
    ldp x27, x28, [x1, #0x48]
    ldp x29, x30, [x1, #0x58]  // x30: where `ret` goes — a saved call site, or a new entry function
    ldp d8, d9, [x1, #0x68]
    ldp d10, d11, [x1, #0x78]
    ldp d12, d13, [x1, #0x88]
    ldp d14, d15, [x1, #0x98]
    ldr x9, [x1, #0xb0]
    msr fpcr, x9               // like ldmxcsr on x86-64, the slow part of the switch
    ldr x0, [x1, #0xa8]        // first argument for a new fiber's entry function (see x86-64)
    ret                        // branch to x30
    .size fiber_switch, . - fiber_switch

    // The caller's stack pointer (see x86-64): sp is not moved by a `bl`, so it is simply sp.
    .globl fiber_stack_pointer
    .type fiber_stack_pointer, %function
    .p2align 4
fiber_stack_pointer:
    mov x0, sp
    ret
    .size fiber_stack_pointer, . - fiber_stack_pointer

#else
#error "ch05 fibers: the context switch exists for x86-64 (System V) and AArch64 (AAPCS64) only"
#endif

// This file needs no executable stack: without this note the linker would assume it does.
    .section .note.GNU-stack, "", %progbits
