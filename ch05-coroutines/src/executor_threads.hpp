// Executors on several threads: the main thread runs executor 0 and worker threads run the others,
// each its own block_on, all sharing the one Runtime (book ch. 8, d-multiple-threads). The demo's
// part 4 and load mode both do this; what they share is the part that is easy to get wrong — an
// exception must never escape a thread (that is std::terminate), and every thread must be joined,
// even when one could not be started — so it lives here, once. Above spawn.hpp; used by main.cpp
// and load.cpp.
#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <string>
#include <vector>

namespace ch05 {

// "main" for executor 0 (the main thread's), "exec-<k>" for the others.
std::string executor_name(std::size_t k);

// Runs run_executor(k) for every k in 0 .. count-1 at once: k = 0 on this thread, the others on
// threads of their own. Returns when all of them have returned and every thread is joined, with
// what each one threw (nullptr for those that returned normally); for an executor whose thread
// could not be started, why not.
std::vector<std::exception_ptr>
run_on_threads(std::size_t count, const std::function<void(std::size_t k)>& run_executor);

// The message of a stored exception ("unknown exception" for one not derived from std::exception).
std::string what_of(const std::exception_ptr& error);

// Throws std::runtime_error("<what>: exec-2: <cause>"), naming the first executor that failed and
// counting the others ("... (and 1 more executor(s) failed)"); returns when none failed.
void throw_if_any_failed(const std::string& what, const std::vector<std::exception_ptr>& failures);

} // namespace ch05
