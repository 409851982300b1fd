// The book's first two fiber examples (book ch. 5, a-stack-swap and b-show-stack), on a raw
// Context and Stack rather than a Fiber: switch to a fresh stack and call a function there, and
// look at the bytes that make that work. main.cpp runs them as the demo's first two parts.
#pragma once

#include <cstddef>

namespace ch05::fibers {

// a-stack-swap: prepares a Context whose first switch "returns" into a function that prints
// `I LOVE WAKING UP ON A NEW STACK!`, switches to it, and comes back (the book's version never
// returns: its function ends in an endless loop).
void stack_swap_demo(std::size_t stack_bytes);

// b-show-stack: the same preparation, then prints the top bytes of the new stack (where the entry
// function's address sits on x86-64) and the Context, before switching.
void show_stack_demo(std::size_t stack_bytes);

} // namespace ch05::fibers
