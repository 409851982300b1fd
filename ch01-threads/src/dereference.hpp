// Book ch. 1's first example (ch01/a-assembly-dereference): reading memory through a pointer with
// one CPU instruction written by hand. It has nothing to do with threads yet; it is where the book
// starts, with what a pointer is to the machine: a number in a register, and an instruction that
// loads whatever is stored at that address. The program runs it with `--example dereference`.
#pragma once

#include <cstddef>
#include <string_view>

namespace ch01 {

// Returns *ptr, loaded by one `mov` (x86-64) or `ldr` (AArch64) instruction in inline assembly.
// Like the book's version it checks nothing: an address that no page backs makes the CPU fault,
// and the kernel ends the process with SIGSEGV (the tests show it in a child process).
std::size_t dereference(const std::size_t* ptr);

// The instruction dereference() uses on this machine, for the program's output:
// "mov (x86-64)" or "ldr (AArch64)".
std::string_view dereference_instruction();

} // namespace ch01
