// AsioHttpGetFuture: the bridge. A ch04 leaf future whose I/O is done by asio — connect, write the
// request, read to end of stream, all as asio completion handlers on an AsioThread — and whose
// completion comes back the only way our executor understands: the handler stores the response
// and calls the Waker of the latest poll. The counterpart of the book's ch10/b-rust-futures-
// experiments, where reqwest's futures (driven by tokio's reactor) and isahc's (driven by its own
// thread) run on the book's executor, because Rust's Waker is the one interface every runtime
// shares. On top of ch04's Future and Waker, and asio; awaited through ch05's FutureAwaiter.
#pragma once

#include "ch04-executor/src/future.hpp"
#include "ch04-executor/src/waker.hpp"

#include <common/net.hpp>

#include <asio/io_context.hpp>

#include <memory>
#include <string>

namespace ch05::examples {

namespace detail {
struct AsioGetState; // what the asio thread and the polling thread share (asio_http_get.cpp)
}

class AsioHttpGetFuture final : public ch04::Future<std::string> {
public:
    // Lazy, like every leaf here: nothing happens before the first poll. `io` must outlive the
    // future (the AsioThread that runs it). `announce`: print "FIRST POLL - START OPERATION".
    AsioHttpGetFuture(asio::io_context& io, common::Endpoint server, std::string path,
                      bool announce = true);
    // Dropping an unfinished future cancels it: the socket is closed on the asio thread, and the
    // handler that then runs (with operation_aborted) wakes nobody.
    ~AsioHttpGetFuture() override;

    // First poll: store the waker, then start the operation on the asio thread. Every poll: if the
    // handler has finished, ready with the body (or throw its error); otherwise replace the stored
    // waker with this poll's and stay not ready.
    ch04::PollState<std::string> poll(const ch04::Waker& waker) override;

private:
    asio::io_context& io_;
    common::Endpoint server_;
    std::string path_;
    bool announce_;
    std::shared_ptr<detail::AsioGetState> state_; // created at the first poll
};

} // namespace ch05::examples
