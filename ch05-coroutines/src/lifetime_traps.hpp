// The two lifetime traps C++ coroutine users hit most, each as a labelled BAD form beside the SAFE
// form. Not used by the runtime. The BAD functions are compiled (so you can see the compiler accept
// them without a word) but never called with arguments that make them dangle: doing so is undefined
// behaviour. The tests run the SAFE forms. Above task.hpp and awaitables.hpp.
//
// Both traps have one cause: a lazy task runs *after* the call that created it has returned, so
// anything the frame refers to (rather than owns) must still be alive at every resume point.
#pragma once

#include "awaitables.hpp"
#include "task.hpp"

#include <chrono>
#include <cstddef>
#include <string>
#include <utility>

namespace ch05::lifetime_traps {

// ---- Trap 1: a reference parameter ------------------------------------------------------------
//
// The frame stores the parameter as declared: for `const std::string&` it stores a reference. The
// body has not run when the call returns (initial_suspend), so it reads the string later — after a
// temporary argument has been destroyed:
//
//     Task<std::size_t> t = length_later_bad("temporary");  // a std::string temporary is built,
//                                                           // bound to `text`, destroyed at ';'
//     block_on(std::move(t));                               // the body runs now: `text` dangles
//
// The same happens with an lvalue that goes out of scope, or is changed, before the task finishes.

// BAD (compile-only: never called here).
inline Task<std::size_t> length_later_bad(const std::string& text) {
    co_await sleep_for(std::chrono::milliseconds(1)); // a suspension: the caller has moved on
    co_return text.size();                            // reads through a dangling reference
}

// SAFE: take it by value. The frame owns its own string (moved in when the caller passes an
// rvalue, so it costs no copy then). Every coroutine parameter in this chapter is taken by value.
inline Task<std::size_t> length_later(std::string text) {
    co_await sleep_for(std::chrono::milliseconds(1));
    co_return text.size();
}

// ---- Trap 2: a lambda capture -----------------------------------------------------------------
//
// A coroutine lambda's captures live in the closure object, not in the frame: the frame holds only
// a reference to the closure (its `this`). Capturing by value therefore does not help; when the
// closure dies before the task has finished, every capture dangles:
//
//     Task<std::string> t = greeting_bad("reader");  // the closure `make` dies inside the call
//     block_on(std::move(t));                        // the body reads `name` from a dead closure

// BAD (compile-only: never called here).
inline Task<std::string> greeting_bad(std::string name) {
    auto make = [name]() -> Task<std::string> {
        co_await sleep_for(std::chrono::milliseconds(1));
        co_return "hello " + name; // `name` is a member of the closure, which is gone by now
    };
    return make(); // `make` is destroyed when this function returns; the task lives on
}

// SAFE: give the lambda no captures and pass what it needs as parameters, by value: parameters
// are copied into the frame. (The frame still refers to the dead closure, but a closure without
// captures has nothing in it to read.) Also safe: a closure that outlives the task, for example a
// local of the coroutine that awaits it (`auto make = [name]() -> Task<...> {...}; co_await
// make();` inside a coroutine), because that closure lives in the awaiting frame until the await
// is over.
inline Task<std::string> greeting(std::string name) {
    auto make = [](std::string who) -> Task<std::string> {
        co_await sleep_for(std::chrono::milliseconds(1));
        co_return "hello " + who; // `who` lives in the frame
    };
    return make(std::move(name));
}

} // namespace ch05::lifetime_traps
