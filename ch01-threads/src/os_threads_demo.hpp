// The book's first program (book ch. 2, "threads provided by the operating system", the example
// ch02/a-os-threads): three OS threads that sleep and print. It is the smallest example of
// concurrency with threads, before any socket is involved; the rest of ch01 applies the same idea
// to network requests.
#pragma once

#include <chrono>
#include <functional>
#include <string_view>

namespace ch01 {

// How long each of the book's three threads sleeps before it prints.
struct OsThreadsDelays {
    std::chrono::milliseconds t1{200}; // "The long running tasks finish last!"
    std::chrono::milliseconds t2{100}; // "We can chain callbacks..."
    std::chrono::milliseconds t3{50};  // "...like this!" (started by t2 after its line)
};

// Where the lines go. Called from several threads, one whole line at a time, never concurrently
// (the program's turn-taking guarantees that; see the .cpp).
using LineSink = std::function<void(std::string_view)>;

// Runs the book's program and returns when all three threads have been joined. It always prints,
// in this order, whatever the delays and however loaded the machine:
//     So, we start the program here!
//     The tasks run concurrently!
//     We can chain callbacks...
//     ...like this!
//     The long running tasks finish last!
void os_threads_demo(const LineSink& print, const OsThreadsDelays& delays = {});

} // namespace ch01
