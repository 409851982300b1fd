// Implementation of http_get.hpp: connect, write, read to end of stream — each call blocks the
// thread until the kernel has something to report.
#include "http_get.hpp"

#include <common/http.hpp>

namespace ch01 {

std::string http_get_raw(const common::Endpoint& server, std::string_view path,
                         std::chrono::milliseconds deadline) {
    const std::string target = server.to_string();

    // Blocks until the TCP handshake completes (or is refused). On loopback that is microseconds;
    // against a distant host it is a network round trip during which this thread does nothing. A
    // server whose accept queue is full drops the handshake, and the kernel would retry it for
    // minutes: the deadline bounds the connect too (connect_tcp's timeout).
    common::Fd socket = common::connect_tcp(server, deadline);

    // The receive timeout is the whole of this chapter's deadline. It bounds each read() call,
    // not the sum of them: a server that sends one byte just before every timeout could keep us
    // reading far longer. A real deadline needs a clock that every wait consults — the epoll
    // timeout of ch02 and the timers of ch04 give us that.
    common::set_receive_timeout(socket.get(), deadline);

    // The request is a few dozen bytes and fits in the socket's send buffer, so this returns at
    // once; a large request would block here until the server had read enough of it.
    common::write_all(socket.get(), common::get_request(path), target);

    // The long wait: the server answers after its delay and then closes (the request says
    // `Connection: close`), so end of stream marks the end of the response. The limit keeps a
    // server that never stops sending from growing our buffer without end.
    return common::read_to_eof(socket.get(), common::kMaxResponseBytes, target);
} // `socket` closes here, on success and on every exception path alike

std::string http_get(const common::Endpoint& server, std::string_view path,
                     std::chrono::milliseconds deadline) {
    return common::ok_body(http_get_raw(server, path, deadline));
}

} // namespace ch01
