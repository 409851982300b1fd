// `--example NAME`: runs one of the book's smaller examples that a chapter program carries beside
// its demo (ch01's `--example dereference`, ch02's `--example syscalls`). The demo with no
// arguments stays the book's program for the chapter's stage; these are the book's side examples,
// reached by name. common's option parser (cli.hpp) knows only numeric flags, so a program looks
// for this word-valued flag first; an example takes no other flags: `PROGRAM --example NAME`.
#pragma once

#include "common/print.hpp"

#include <exception>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace common {

struct Example {
    std::string_view name;    // what follows --example: "syscalls"
    std::function<int()> run; // prints the example on stdout, returns the exit status
};

// Returns nullopt when the command line has no --example: the caller goes on to run_program.
// Otherwise runs the named example and returns its exit status, or 1 after one line on stderr:
// `error: --example: <why>` for a bad command line, `error: <what()>` for an exception the
// example threw.
inline std::optional<int> run_example(int argc, const char* const* argv,
                                      std::span<const Example> examples) {
    int at = 0;
    for (int i = 1; i < argc; ++i) {
        if (std::string_view(argv[i]) == "--example") {
            at = i;
        }
    }
    if (at == 0) {
        return std::nullopt;
    }
    std::string names;
    for (const Example& example : examples) {
        names += names.empty() ? "" : ", ";
        names += example.name;
    }
    if (at != 1 || argc != 3) {
        eprintln("error: --example: takes one name (" + names + ") and no other arguments");
        return 1;
    }
    const std::string_view wanted = argv[2];
    for (const Example& example : examples) {
        if (example.name == wanted) {
            try {
                return example.run();
            } catch (const std::exception& e) {
                eprintln(std::string("error: ") + e.what());
                return 1;
            }
        }
    }
    eprintln("error: --example: expected one of " + names + ", got '" + std::string(wanted) + "'");
    return 1;
}

} // namespace common
