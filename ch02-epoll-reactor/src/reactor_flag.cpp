// Implementation of reactor_flag.hpp.
#include "reactor_flag.hpp"

#include <common/cli.hpp>

#include <string_view>

namespace ch02 {

ReactorChoice take_reactor_flag(int argc, const char* const* argv) {
    ReactorChoice choice;
    for (int i = 0; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (i == 0 || arg != "--reactor") {
            choice.rest.push_back(argv[i]);
            continue;
        }
        if (i + 1 >= argc) {
            throw common::UsageError("--reactor: needs a value (epoll or uring)");
        }
        const std::string_view value = argv[++i];
        if (value == "epoll") {
            choice.kind = ReactorKind::Epoll;
        } else if (value == "uring") {
            choice.kind = ReactorKind::Uring;
        } else {
            throw common::UsageError("--reactor: expected epoll or uring, got '" +
                                     std::string(value) + "'");
        }
    }
    return choice;
}

const char* to_string(ReactorKind kind) {
    return kind == ReactorKind::Uring ? "uring" : "epoll";
}

} // namespace ch02
