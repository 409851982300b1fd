// Exercise ch03/01: a leaf future whose connect does not block. The chapter's HttpGetFuture
// connects with a blocking socket (as the book does): cheap on loopback, but a server whose accept
// queue is full makes that connect wait in the kernel's SYN retries, and the whole thread — every
// future block_on drives — waits with it. ConnectingHttpGet adds the state a real runtime has:
// Connecting, waiting for the socket to become writable. This header is the interface the tests
// call; write the bodies in connecting_http_get.cpp.
#pragma once

#include "ch03-leaf-futures/src/future.hpp"

#include "ch02-epoll-reactor/src/poll.hpp"

#include <common/fd.hpp>
#include <common/net.hpp>

#include <string>

namespace ch03::exercise {

class ConnectingHttpGet final : public Future<std::string> {
public:
    // Lazy, like ch03::HttpGetFuture: nothing happens before the first poll. `server.host` must be
    // a numeric IPv4 address ("127.0.0.1").
    ConnectingHttpGet(ch02::Registry registry, common::Endpoint server, std::string path,
                      ch02::Token token);

    // Never blocks. First poll: start the connect; if it is still in progress, register the socket
    // for writability and return not ready. Then, once the socket is writable: read SO_ERROR (a
    // failed connect throws std::system_error "connect HOST:PORT: <reason>"), send the request,
    // switch the registration to readable, and read as HttpGetFuture does. Ready with the body of
    // a 200 answer; common::HttpError for any other. Polled after it finished (or failed): throws
    // std::logic_error.
    PollState<std::string> poll() override;

private:
    enum class Stage { NotStarted, Connecting, Reading, Finished };

    void start_connect(); // NotStarted -> Connecting (or straight to Reading)
    bool connect_done();  // Connecting -> Reading once writable; false while still connecting
    void send_request();  // the request, then interest in readability
    PollState<std::string> read();
    void finish() noexcept; // close the socket

    ch02::Registry registry_;
    common::Endpoint server_;
    std::string path_;
    ch02::Token token_;
    Stage stage_ = Stage::NotStarted;
    common::Fd stream_;
    std::string buffer_;
};

} // namespace ch03::exercise
