// Implementation of common/error.hpp.
#include "common/error.hpp"

#include <cerrno>
#include <string>

namespace common {

std::system_error sys_error(int err, std::string_view call, std::string_view target) {
    // std::system_error appends ": <strerror text>" to this, giving "connect 1.2.3.4:80: Connection
    // refused" — the `<what>: <why>` shape of every error line the programs print.
    std::string what(call);
    if (!target.empty()) {
        what += ' ';
        what += target;
    }
    return std::system_error(err, std::system_category(), what);
}

void throw_errno(std::string_view call, std::string_view target) {
    throw sys_error(errno, call, target);
}

} // namespace common
