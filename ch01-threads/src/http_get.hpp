// ch01's client: one HTTP GET with blocking sockets, the way a program is written before anyone
// thinks about asynchrony. Everything above it in this chapter (the sequential and threaded
// runners, load mode) is built from this call; later chapters replace it, not extend it.
#pragma once

#include <common/net.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace ch01 {

// Connects to `server`, sends the book's GET request for `path`, reads until the server closes
// the connection and returns every byte it sent (head and body, unparsed). The calling thread is
// blocked the whole time: in connect, in write, and above all in read while the server waits out
// the delay.
//
// `deadline` bounds the run the only way a blocking socket can be bounded: a receive timeout
// (SO_RCVTIMEO). A silent server therefore ends in "read HOST:PORT: timed out".
//
// Throws std::system_error naming the call and the address ("connect 127.0.0.1:40123: Connection
// refused"), std::runtime_error for a timeout and common::HttpError for an over-long response.
std::string http_get_raw(const common::Endpoint& server, std::string_view path,
                         std::chrono::milliseconds deadline);

// http_get_raw, then parses the response strictly (common::ok_body) and returns the body of a
// 200 answer. A truncated, malformed or non-200 response throws common::HttpError, so a partial
// body is never taken for an answer.
std::string http_get(const common::Endpoint& server, std::string_view path,
                     std::chrono::milliseconds deadline);

} // namespace ch01
