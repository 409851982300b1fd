// Exercise ch02/01: level-triggered instead of edge-triggered. The chapter registers its sockets
// edge-triggered and therefore must drain each one to EAGAIN on every event. Here the rule is the
// opposite: read ONE chunk per event, and let epoll report the socket again while data is left —
// which it does only when the registration is level-triggered. This header is the interface the
// tests call; write the body in level_reader.cpp.
#pragma once

#include <common/net.hpp>

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace ch02::exercise {

struct LevelReport {
    std::vector<std::string> bodies; // bodies[i]: the answer to paths[i]
    std::size_t events = 0;          // readable events handled (for our sockets)
    std::size_t reads = 0;           // read() calls made on the sockets
};

// Sends `GET paths[i]` to `server` on one connection each, registers every socket with one
// ch02::Poll, and then loops: wait for events; for each event, exactly one read() of at most
// `chunk_bytes` bytes. A read of 0 bytes means the server closed: that response is complete (parse
// it with common::ok_body), deregister the socket and close it. Returns when every response is
// complete; throws std::runtime_error "level-triggered: timed out" when `timeout` passes first.
LevelReport fetch_level_triggered(const common::Endpoint& server,
                                  const std::vector<std::string>& paths, std::size_t chunk_bytes,
                                  std::chrono::milliseconds timeout);

} // namespace ch02::exercise
