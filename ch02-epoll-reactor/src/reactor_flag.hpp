// `--reactor epoll|uring`: which event queue a program runs on. ch02's demo takes it (uring: the
// ring demo of ring_demo.hpp), and ch04 takes it in demo and load mode (uring: its UringReactor).
// common's option parser knows only numeric flags, so this word-valued flag is taken out of argv
// first and the rest goes to common::run_program unchanged.
#pragma once

#include <string>
#include <vector>

namespace ch02 {

enum class ReactorKind { Epoll, Uring };

struct ReactorChoice {
    ReactorKind kind = ReactorKind::Epoll; // the book's, when the flag is not given
    std::vector<const char*> rest;         // argv without the flag: rest[0] is the program name
};

// Throws common::UsageError "--reactor: expected epoll or uring, got 'x'" (or "needs a value").
ReactorChoice take_reactor_flag(int argc, const char* const* argv);

const char* to_string(ReactorKind kind); // "epoll", "uring"

} // namespace ch02
