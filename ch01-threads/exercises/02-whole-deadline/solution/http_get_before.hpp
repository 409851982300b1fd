// Exercise ch01/02: a deadline for the whole request, not for each read. The chapter bounds a
// blocking request with SO_RCVTIMEO, which limits every read() on its own: a server that sends one
// byte just before each timeout keeps the client reading for as long as it likes. This header is
// the interface the tests call; write the body in http_get_before.cpp.
#pragma once

#include <common/net.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace ch01::exercise {

// Like ch01::http_get (connect, send the book's GET, read to end of stream, return the body of a
// 200 answer), but the whole call ends within `deadline` of its start: when the time is up it
// throws std::runtime_error "read HOST:PORT: timed out" (or "connect HOST:PORT: timed out"),
// however the server paces its bytes. Other errors as ch01::http_get throws them.
std::string http_get_before(const common::Endpoint& server, std::string_view path,
                            std::chrono::milliseconds deadline);

} // namespace ch01::exercise
