// The ch01-threads program as a function: the demo (the book's OS-thread program, then five
// requests sequentially and with one thread each), load mode, and `--example dereference` (book
// ch. 1's example, dereference.hpp). main.cpp only calls it; the tests call it too, to check the
// command-line and output contract without starting a process.
#pragma once

namespace ch01 {

// Parses the command line (common::run_program), runs the demo or load mode, and returns the exit
// status: 0 on success, 1 after printing `error: <what>: <why>` on stderr.
int program_main(int argc, const char* const* argv);

} // namespace ch01
