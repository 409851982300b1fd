// AsioThread: asio's reactor on a thread of its own. An asio operation completes only inside
// io_context::run(), on the thread that calls it; nothing in ch04's runtime calls it, so this class
// does, for as long as it lives. The bridge's leaf futures (asio_http_get.hpp) start their
// operations here and come back to our executor through a ch04::Waker. Used by
// rust_futures_experiments.cpp, beside ch05's Runtime: two reactors, one executor.
#pragma once

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>

#include <thread>

namespace ch05::examples {

class AsioThread {
public:
    AsioThread() : work_(asio::make_work_guard(io_)), thread_([this] { io_.run(); }) {}

    // Stops the loop and joins the thread. Handlers still queued are destroyed without being run,
    // and with them the shared state they hold; every future that used this context must be gone
    // by now (they refer to the context to cancel their operation).
    ~AsioThread() {
        io_.stop();
        thread_.join();
    }
    AsioThread(const AsioThread&) = delete;
    AsioThread& operator=(const AsioThread&) = delete;

    asio::io_context& context() noexcept { return io_; }

private:
    asio::io_context io_;
    // Keeps run() from returning while no operation is pending (between two requests).
    asio::executor_work_guard<asio::io_context::executor_type> work_;
    std::thread thread_; // last: starts once the context and the guard exist
};

} // namespace ch05::examples
