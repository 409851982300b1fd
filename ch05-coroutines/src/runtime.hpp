// Runtime: what the awaitables need to reach without being passed it — the Reactor their sockets
// and timers register with, and the delay server to talk to. The book's runtime::init() keeps its
// reactor in a global so `Http::get(path)` needs only a path; this is the same idea with a scope:
// the process has a current Runtime exactly while one exists. Above chapter 4's Reactor; used by
// http_get, sleep_for and with_timeout (awaitables.hpp).
//
//     ch05::Runtime runtime(server);                 // starts the reactor thread
//     ch05::block_on(async_main());                  // coroutines may now co_await http_get(...)
//                                                    // ~Runtime: stops the reactor thread
#pragma once

#include "ch04-executor/src/reactor.hpp"

#include <common/net.hpp>

namespace ch05 {

class Runtime {
public:
    struct Options {
        // Print the book's "FIRST POLL - START OPERATION" when an HTTP GET starts (the demo does).
        bool announce_first_poll = false;
    };

    // Starts a Reactor (and its thread) and becomes the current runtime. Throws std::logic_error
    // if another Runtime exists: there is one reactor per process, as in the book.
    explicit Runtime(common::Endpoint server);
    Runtime(common::Endpoint server, Options options);
    // Stops being current, then stops the reactor thread. Every task that awaits the runtime's
    // sockets or timers must have finished (block_on returns only then) or been destroyed.
    ~Runtime();
    Runtime(const Runtime&) = delete;
    Runtime& operator=(const Runtime&) = delete;

    ch04::Reactor& reactor() noexcept { return reactor_; }
    const common::Endpoint& server() const noexcept { return server_; }
    const Options& options() const noexcept { return options_; }

    // The current runtime. Throws std::logic_error("... no ch05::Runtime ...") when there is none.
    // http_get, sleep_for and with_timeout call it when they build their awaiter, so without a
    // runtime they throw at that call, with a clear message — before anything is awaited.
    static Runtime& current();

private:
    common::Endpoint server_;
    Options options_;
    ch04::Reactor reactor_;
};

} // namespace ch05
