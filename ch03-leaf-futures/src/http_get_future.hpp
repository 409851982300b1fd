// HttpGetFuture, the leaf future of this chapter (the `http.rs` of the book's ch07 and ch08
// examples): one GET request to the delay server as a value that can be polled. It sits directly on
// the ch02 event queue: its first poll registers its socket with a ch02::Registry, and whoever
// drives it (the Runtime in runtime.hpp) sleeps in that registry's ch02::Poll.
//
// A *leaf* future does real I/O itself, at the bottom of the tree; a *non-leaf* future (the
// Coroutine, JoinAll) only polls other futures. Every tree of futures ends in leaves like this one.
#pragma once

#include "future.hpp"

#include "ch02-epoll-reactor/src/poll.hpp"

#include <common/fd.hpp>
#include <common/net.hpp>

#include <cstdint>
#include <memory>
#include <string>

namespace ch03 {

// Whether a future prints the book's progress messages (`FIRST POLL - START OPERATION`). Load mode
// switches them off: its stdout must carry the summary line only.
enum class Announce { Yes, No };

class HttpGetFuture final : public Future<std::string> {
public:
    // Lazy: the constructor only stores what the first poll will need. No socket, no connection,
    // no system call — nothing happens until somebody polls. That is what lets a caller build a
    // whole tree of futures first and decide later when (and whether) to run it.
    HttpGetFuture(ch02::Registry registry, common::Endpoint server, std::string path,
                  ch02::Token token, Announce announce = Announce::Yes);

    // First poll: connect, send the request, register the socket, then read (see the .cpp for why
    // the read must not wait for an event). Later polls: read until EAGAIN (not ready) or until
    // the server closes (ready with the body; the socket is deregistered and closed).
    //
    // Errors are exceptions: std::system_error from connect or read ("connect 127.0.0.1:8080:
    // Connection refused", "read 127.0.0.1:8080: Connection reset by peer"), common::HttpError
    // for a response that is not a complete 200. After a ready state or an error the future is
    // finished, and polling it again throws std::logic_error.
    PollState<std::string> poll() override;

private:
    enum class Stage {
        NotStarted, // constructed, never polled: nothing exists yet
        Reading,    // connected, request sent, registered: waiting for the answer
        Finished,   // answered (or failed); the socket is closed
    };

    void start();                  // the first poll's work
    PollState<std::string> read(); // every poll's work
    void finish() noexcept;        // close the socket; the future is done

    // Where the socket is registered. A handle on the driver's ch02::Poll, which must outlive
    // every poll of this future (the book reaches it through the global `runtime::registry()`).
    ch02::Registry registry_;
    common::Endpoint server_;
    std::string path_;
    // Stored with the registration and handed back with each event. Nobody reads it in this
    // chapter (block_on polls the whole tree on any event); ch04's reactor uses it to find
    // which task to wake.
    ch02::Token token_;
    Announce announce_;
    Stage stage_ = Stage::NotStarted;
    common::Fd stream_;  // the connection, from the first poll until the future finishes
    std::string buffer_; // the response so far; only the bytes received (the 4 KiB read buffer
                         // is one per thread, inside ch02::read_until_blocked, not one per future)
};

// The book's `Http::get(path)`: makes HttpGetFutures for one server and one registry, giving each
// its own token. Creating one does nothing (the future is lazy); poll it to start the request.
class Http {
public:
    Http(ch02::Registry registry, common::Endpoint server, Announce announce = Announce::Yes)
        : registry_(registry), server_(std::move(server)), announce_(announce) {}

    std::unique_ptr<Future<std::string>> get(std::string path);

private:
    ch02::Registry registry_;
    common::Endpoint server_;
    Announce announce_;
    std::uint64_t next_token_ = 0;
};

} // namespace ch03
