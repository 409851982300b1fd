// Implementation of http_get_future.hpp: the leaf future's three stages, and Http::get.
#include "http_get_future.hpp"

#include "ch02-epoll-reactor/src/read_until_blocked.hpp"

#include <common/http.hpp>
#include <common/print.hpp>

#include <stdexcept>
#include <system_error>

namespace ch03 {

HttpGetFuture::HttpGetFuture(ch02::Registry registry, common::Endpoint server, std::string path,
                             ch02::Token token, Announce announce)
    : registry_(registry), server_(std::move(server)), path_(std::move(path)), token_(token),
      announce_(announce) {}

PollState<std::string> HttpGetFuture::poll() {
    if (stage_ == Stage::Finished) {
        // The book's HttpGetFuture has no such check: polled again, it reads its socket again
        // (end of stream at once) and returns the same response a second time. Only its
        // Coroutine panics when polled after it resolved. We refuse, so a test can see it and a
        // reader gets a sentence instead of a read on a closed descriptor.
        throw std::logic_error("HttpGetFuture polled after completion");
    }
    try {
        if (stage_ == Stage::NotStarted) {
            if (announce_ == Announce::Yes) {
                common::println("FIRST POLL - START OPERATION");
            }
            start();
            // No return here: the first poll goes on to read, as the book's ch08/a-runtime does
            // after registering. (Its ch07 futures return NotReady right after sending, and
            // register nothing: their main loop polls again anyway.) With epoll alone nothing
            // would be lost either way (registering a socket that is already readable reports
            // it), but from ch04 on an event wakes a *task* through its stored waker, and an
            // answer that arrives before the waker is stored wakes nobody (upstream issue #23).
            // "Register, then read" is the habit that rules it out, so this future has it now.
        }
        return read();
    } catch (const common::HttpError& e) {
        finish();
        // Say which request got the bad answer: "GET /600/HelloWorld1: truncated body ...".
        throw common::HttpError("GET " + path_ + ": " + e.what());
    } catch (...) {
        finish();
        throw;
    }
}

void HttpGetFuture::start() {
    // As in the book: connect with a *blocking* socket, then switch it to non-blocking. It is a
    // simplification: on loopback connect takes microseconds, but over a real network it would
    // stall the whole thread for a round trip (and against a server whose accept queue is full,
    // for up to connect_tcp's 10 s timeout, which block_on's deadline cannot shorten). A real
    // runtime starts a non-blocking connect and waits for the socket to become writable (one
    // more state here).
    stream_ = common::connect_tcp(server_);
    common::set_nonblocking(stream_.get());

    // The book writes the request with `write_all` on the non-blocking stream, and a short write
    // would panic there. A fresh socket's send buffer (many KiB) always takes these ~60 bytes, so
    // we do the same and call a short write an error instead of adding a "writing" state.
    const std::string request = common::get_request(path_);
    if (common::send_some(stream_.get(), request, server_.to_string()) != request.size()) {
        throw std::runtime_error("write " + server_.to_string() +
                                 ": the request did not fit the socket's send buffer");
    }

    // Edge-triggered, as mio registers everything: one event per arrival of new data, which
    // obliges read() to drain the socket to EAGAIN each time (ch02's read_until_blocked does).
    registry_.register_fd(stream_.get(), token_,
                          ch02::Interest::readable() | ch02::Interest::edge_triggered());
    stage_ = Stage::Reading;
}

PollState<std::string> HttpGetFuture::read() {
    ch02::ReadOutcome outcome;
    try {
        outcome = ch02::read_until_blocked(stream_.get(), buffer_, common::kMaxResponseBytes);
    } catch (const std::system_error& e) {
        // read_until_blocked does not know the peer; name it, as connect's errors do.
        throw std::system_error(e.code(), "read " + server_.to_string());
    }
    if (outcome == ch02::ReadOutcome::WouldBlock) {
        return not_ready; // everything that arrived is in buffer_; more will raise a new edge
    }

    // The server closed the connection (the request said `Connection: close`), so buffer_ holds
    // the whole response. Done with the socket: take it out of the registry, close it, and only
    // then parse, so a bad answer cannot keep the descriptor open.
    registry_.deregister(stream_.get());
    const std::string raw = std::move(buffer_);
    finish();
    return ready(common::ok_body(raw)); // throws common::HttpError unless it is a complete 200
}

void HttpGetFuture::finish() noexcept {
    stage_ = Stage::Finished;
    // If an error left the socket registered, closing it is enough: the kernel drops a descriptor
    // from every epoll interest list when its last copy is closed (we never dup it, and
    // SOCK_CLOEXEC keeps it out of any program this process starts).
    stream_.reset();
    buffer_ = std::string(); // give the memory back now, not when the owner drops the future
}

std::unique_ptr<Future<std::string>> Http::get(std::string path) {
    return std::make_unique<HttpGetFuture>(registry_, server_, std::move(path),
                                           ch02::Token{next_token_++}, announce_);
}

} // namespace ch03
