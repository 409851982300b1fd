// Implementation of dereference.hpp: the book's two versions of `dereference`, one per
// architecture, in GCC's extended inline assembly (g++ and clang++ both accept it).
#include "dereference.hpp"

namespace ch01 {

// How to read the asm statements below. `asm("template" : outputs : inputs)`:
//   "=r"(value)  the compiler picks a general-purpose register for the result (%0) and copies it
//                into `value` afterwards;
//   "r"(ptr)     it puts the pointer, a plain 64-bit address, in another register (%1);
//   "m"(*ptr)    is not used by the template. It tells the compiler that the instruction reads the
//                memory ptr points to, so a value stored there just before (`t = 100`) is really
//                in memory when the load runs, and the load is not moved above that store. (The
//                book's Rust `asm!` assumes by default that the assembly may read any memory; GCC's
//                asks to be told.)
// No `volatile`: the result depends only on the inputs, so the compiler may drop the statement if
// the result is unused, as it would an ordinary `*ptr`.

#if defined(__x86_64__)

std::size_t dereference(const std::size_t* ptr) {
    std::size_t value;
    // AT&T syntax, source first: "load the 8 bytes at the address in register %1 into register
    // %0". The book writes the same instruction in Intel syntax: `mov {0}, [{1}]`.
    asm("mov (%1), %0" : "=r"(value) : "r"(ptr), "m"(*ptr));
    return value;
}

std::string_view dereference_instruction() {
    return "mov (x86-64)";
}

#elif defined(__aarch64__)

std::size_t dereference(const std::size_t* ptr) {
    std::size_t value;
    // "load register %0 from the address in register %1" (both x registers: 64 bits). The book's
    // AArch64 version (added for Apple's M-series Macs) is the same `ldr {0}, [{1}]`.
    asm("ldr %0, [%1]" : "=r"(value) : "r"(ptr), "m"(*ptr));
    return value;
}

std::string_view dereference_instruction() {
    return "ldr (AArch64)";
}

#else
#error "dereference.cpp has inline assembly for x86-64 and AArch64 only"
#endif

} // namespace ch01
