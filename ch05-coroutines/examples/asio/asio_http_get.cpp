// Implementation of asio_http_get.hpp: the operation as a chain of asio completion handlers, and
// the one place where it meets our runtime (finish(): store the outcome, wake the latest waker).
#include "asio_http_get.hpp"

#include <common/http.hpp>
#include <common/print.hpp>

#include <asio/buffer.hpp>
#include <asio/connect.hpp>
#include <asio/ip/address.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>

#include <exception>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace ch05::examples {
namespace detail {

// Shared by the future (on the executor's thread) and the handlers (on the asio thread), which
// hold it by shared_ptr: a handler may run after the future is gone (a cancelled operation
// completes with operation_aborted), and must find live memory then.
struct AsioGetState {
    explicit AsioGetState(asio::io_context& io) : socket(io) {}

    // Touched by the asio thread only (every operation on them is started from a handler or a
    // post), so they need no lock: an asio socket is not safe to use from two threads at once.
    asio::ip::tcp::socket socket;
    std::string target; // "127.0.0.1:8080", for error messages
    std::string request;
    std::string raw; // the response so far; read by the future only once `finished` is set

    // The meeting point, under `mutex`: the waker of the latest poll (empty once the future is
    // dropped), and the outcome. The handler sets `finished` and takes the waker in one critical
    // section, and poll() checks `finished` and stores its waker in one: so either the poll sees
    // the outcome, or the handler sees the poll's waker. No wake can fall between the two.
    std::mutex mutex;
    std::optional<ch04::Waker> waker;
    bool finished = false;
    std::exception_ptr error;
};

namespace {

// The end of the chain, on the asio thread: publish the outcome, then wake (outside the lock: a
// wake takes the executor's own locks, and holding ours meanwhile would order them for nothing).
void finish(const std::shared_ptr<AsioGetState>& state, std::exception_ptr error) {
    std::optional<ch04::Waker> waker;
    {
        const std::lock_guard lock(state->mutex);
        state->finished = true;
        state->error = std::move(error);
        waker = std::exchange(state->waker, std::nullopt);
    }
    asio::error_code ignored;
    state->socket.close(ignored); // the response is complete (or failed): give the descriptor back
    if (waker) {
        waker->wake();
    }
}

std::exception_ptr failure(const std::error_code& ec, const std::string& what) {
    return std::make_exception_ptr(std::system_error(ec, what));
}

asio::ip::tcp::endpoint to_asio(const common::Endpoint& server) {
    const std::string host = server.host == "localhost" ? "127.0.0.1" : server.host;
    return {asio::ip::make_address(host), server.port};
}

// connect, then write, then read to end of stream: three handlers, each starting the next.
void start(const std::shared_ptr<AsioGetState>& state, const asio::ip::tcp::endpoint& to) {
    state->socket.async_connect(to, [state](const std::error_code& ec) {
        if (ec) {
            return finish(state, failure(ec, "connect " + state->target));
        }
        asio::async_write(
            state->socket, asio::buffer(state->request),
            [state](const std::error_code& ec, std::size_t) {
                if (ec) {
                    return finish(state, failure(ec, "write " + state->target));
                }
                asio::async_read(state->socket,
                                 asio::dynamic_buffer(state->raw, common::kMaxResponseBytes),
                                 [state](const std::error_code& ec, std::size_t) {
                                     // The server closes after its answer: end of stream is the
                                     // normal end here, as in every chapter's client.
                                     if (ec && ec != asio::error::eof) {
                                         return finish(state, failure(ec, "read " + state->target));
                                     }
                                     finish(state, nullptr);
                                 });
            });
    });
}

} // namespace
} // namespace detail

AsioHttpGetFuture::AsioHttpGetFuture(asio::io_context& io, common::Endpoint server,
                                     std::string path, bool announce)
    : io_(io), server_(std::move(server)), path_(std::move(path)), announce_(announce) {}

AsioHttpGetFuture::~AsioHttpGetFuture() {
    if (!state_) {
        return; // never polled: nothing was started
    }
    {
        const std::lock_guard lock(state_->mutex);
        if (state_->finished) {
            return;
        }
        state_->waker.reset(); // the handler that still comes must wake nobody
    }
    // Cancel on the asio thread, where the socket lives: closing it completes the pending
    // operation with operation_aborted, and that handler finishes into a state nobody reads.
    asio::post(io_, [state = state_] {
        asio::error_code ignored;
        state->socket.close(ignored);
    });
}

ch04::PollState<std::string> AsioHttpGetFuture::poll(const ch04::Waker& waker) {
    if (!state_) {
        if (announce_) {
            common::println("FIRST POLL - START OPERATION");
        }
        state_ = std::make_shared<detail::AsioGetState>(io_);
        state_->target = server_.to_string();
        state_->request = common::get_request(path_);
        state_->waker = waker; // in place before the operation can possibly complete
        const asio::ip::tcp::endpoint to = detail::to_asio(server_);
        asio::post(io_, [state = state_, to] { detail::start(state, to); });
        return ch04::PollState<std::string>::not_ready();
    }
    {
        const std::lock_guard lock(state_->mutex);
        if (!state_->finished) {
            state_->waker = waker; // the latest poll's waker is the one to wake
            return ch04::PollState<std::string>::not_ready();
        }
    }
    if (state_->error) {
        std::rethrow_exception(state_->error);
    }
    return ch04::PollState<std::string>::ready(common::ok_body(state_->raw)); // throws HttpError
}

} // namespace ch05::examples
