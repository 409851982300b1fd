// Test helper for test_context.cpp: proves that fiber_switch (src/switch.S) preserves every
// callee-saved register, which C++ cannot check (the compiler decides what lives in registers).
//
//     uint64_t fiber_test_switch_marked(Context* from, const Context* to, uint64_t seed);
//
// Saves the caller's callee-saved registers, fills each with a value derived from `seed`, calls
// fiber_switch(from, to), and when something switches back compares every register with the
// value it was given. Returns a bit mask of the registers that changed (0: all preserved), after
// restoring the caller's own values. Two fibers calling it with different seeds see each other's
// values if the switch forgets a register.

#if defined(__x86_64__)
// Bits: 0 rbx, 1 rbp, 2 r12, 3 r13, 4 r14, 5 r15, 6 MXCSR, 7 x87 control word.
// MXCSR and the control word get a rounding mode from seed's low two bits, so use seeds whose low
// bits differ between the two sides (and from 0, the default rounding mode).
    .intel_syntax noprefix
    .text
    .globl fiber_test_switch_marked
    .type fiber_test_switch_marked, %function
fiber_test_switch_marked:
    push rbp
    push rbx
    push r12
    push r13
    push r14
    push r15
    sub rsp, 24                 // 6 pushes + the return address + 24 = 80: aligned for the call
    stmxcsr [rsp]               // the caller's MXCSR and control word, restored at the end
    fnstcw [rsp + 4]
    mov [rsp + 8], rdx          // the seed survives the switch here
    lea rbx, [rdx + 1]
    lea rbp, [rdx + 2]
    lea r12, [rdx + 3]
    lea r13, [rdx + 4]
    lea r14, [rdx + 5]
    lea r15, [rdx + 6]
    mov eax, edx                // MXCSR = default | rounding mode (seed & 3) in bits 13-14
    and eax, 3
    shl eax, 13
    or eax, 0x1f80
    mov [rsp + 16], eax
    ldmxcsr [rsp + 16]
    mov eax, edx                // x87 control word = default | rounding mode in bits 10-11
    and eax, 3
    shl eax, 10
    or eax, 0x037f
    mov [rsp + 20], ax
    fldcw [rsp + 20]
    call fiber_switch           // rdi = from, rsi = to: still the arguments we were given
    mov rdx, [rsp + 8]
    xor eax, eax
    lea rcx, [rdx + 1]
    cmp rbx, rcx
    je 1f
    or eax, 1
1:  lea rcx, [rdx + 2]
    cmp rbp, rcx
    je 2f
    or eax, 2
2:  lea rcx, [rdx + 3]
    cmp r12, rcx
    je 3f
    or eax, 4
3:  lea rcx, [rdx + 4]
    cmp r13, rcx
    je 4f
    or eax, 8
4:  lea rcx, [rdx + 5]
    cmp r14, rcx
    je 5f
    or eax, 16
5:  lea rcx, [rdx + 6]
    cmp r15, rcx
    je 6f
    or eax, 32
6:  mov ecx, edx
    and ecx, 3
    shl ecx, 13
    or ecx, 0x1f80
    stmxcsr [rsp + 16]
    cmp ecx, [rsp + 16]
    je 7f
    or eax, 64
7:  mov ecx, edx
    and ecx, 3
    shl ecx, 10
    or ecx, 0x037f
    fnstcw [rsp + 20]
    movzx r8d, word ptr [rsp + 20]
    cmp ecx, r8d
    je 8f
    or eax, 128
8:  ldmxcsr [rsp]
    fldcw [rsp + 4]
    add rsp, 24
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret
    .size fiber_test_switch_marked, . - fiber_test_switch_marked

#elif defined(__aarch64__)
// Bits: 0-9 x19-x28, 10-17 d8-d15, 18 FPCR's rounding mode (seed's low two bits, in bits 22-23;
// the same seeds as for x86-64's MXCSR).
    .text
    .globl fiber_test_switch_marked
    .type fiber_test_switch_marked, %function
fiber_test_switch_marked:
    stp x29, x30, [sp, #-176]!
    mov x29, sp
    stp x19, x20, [sp, #16]
    stp x21, x22, [sp, #32]
    stp x23, x24, [sp, #48]
    stp x25, x26, [sp, #64]
    stp x27, x28, [sp, #80]
    stp d8, d9, [sp, #96]
    stp d10, d11, [sp, #112]
    stp d12, d13, [sp, #128]
    stp d14, d15, [sp, #144]
    str x2, [sp, #160]
    mrs x9, fpcr                // the caller's FPCR, restored at the end
    str x9, [sp, #168]
    and x10, x2, #3             // FPCR = the caller's, with rounding mode (seed & 3) in bits 22-23
    bic x9, x9, #(3 << 22)
    orr x9, x9, x10, lsl #22
    msr fpcr, x9
    add x19, x2, #1
    add x20, x2, #2
    add x21, x2, #3
    add x22, x2, #4
    add x23, x2, #5
    add x24, x2, #6
    add x25, x2, #7
    add x26, x2, #8
    add x27, x2, #9
    add x28, x2, #10
    add x9, x2, #11
    fmov d8, x9
    add x9, x2, #12
    fmov d9, x9
    add x9, x2, #13
    fmov d10, x9
    add x9, x2, #14
    fmov d11, x9
    add x9, x2, #15
    fmov d12, x9
    add x9, x2, #16
    fmov d13, x9
    add x9, x2, #17
    fmov d14, x9
    add x9, x2, #18
    fmov d15, x9
    bl fiber_switch
    ldr x2, [sp, #160]
    mov x0, #0
    .macro check_x reg, n
    add x9, x2, #(\n + 1)
    cmp \reg, x9
    b.eq 1f
    orr x0, x0, #(1 << \n)
1:
    .endm
    .macro check_d reg, n
    add x9, x2, #(\n + 1)
    fmov x10, \reg
    cmp x10, x9
    b.eq 1f
    orr x0, x0, #(1 << \n)
1:
    .endm
    check_x x19, 0
    check_x x20, 1
    check_x x21, 2
    check_x x22, 3
    check_x x23, 4
    check_x x24, 5
    check_x x25, 6
    check_x x26, 7
    check_x x27, 8
    check_x x28, 9
    check_d d8, 10
    check_d d9, 11
    check_d d10, 12
    check_d d11, 13
    check_d d12, 14
    check_d d13, 15
    check_d d14, 16
    check_d d15, 17
    mrs x9, fpcr
    ubfx x9, x9, #22, #2
    and x10, x2, #3
    cmp x9, x10
    b.eq 1f
    orr x0, x0, #(1 << 18)
1:  ldr x9, [sp, #168]
    msr fpcr, x9
    ldp x19, x20, [sp, #16]
    ldp x21, x22, [sp, #32]
    ldp x23, x24, [sp, #48]
    ldp x25, x26, [sp, #64]
    ldp x27, x28, [sp, #80]
    ldp d8, d9, [sp, #96]
    ldp d10, d11, [sp, #112]
    ldp d12, d13, [sp, #128]
    ldp d14, d15, [sp, #144]
    ldp x29, x30, [sp], #176
    ret
    .size fiber_test_switch_marked, . - fiber_test_switch_marked

#else
#error "ch05 fibers: the context switch exists for x86-64 (System V) and AArch64 (AAPCS64) only"
#endif

    .section .note.GNU-stack, "", %progbits
