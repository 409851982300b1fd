// Errors from system calls, as std::system_error whose message names the call and its target:
// "connect 127.0.0.1:40123: Connection refused". Every layer reports failures this way, so the
// programs can print them as `error: <what>: <why>` without knowing where they came from.
#pragma once

#include <string_view>
#include <system_error>

namespace common {

// Builds the exception for error number `err`, e.g. sys_error(ECONNREFUSED, "connect",
// "1.2.3.4:80").
std::system_error sys_error(int err, std::string_view call, std::string_view target = {});

// Throws sys_error(errno, call, target). Call it right after the failing call, before anything
// else can overwrite errno.
[[noreturn]] void throw_errno(std::string_view call, std::string_view target = {});

} // namespace common
