// asio_client: the benchmark's reference row. The chapters' load-mode workload (N concurrent
// `GET /<delay>/load-i`, every body checked) written the way a production program would write it:
// standalone asio, one C++20 coroutine per request (asio::co_spawn), one io_context run by one
// thread. Built by common/bench only when asio.hpp is found (`apt-get install libasio-dev`);
// no chapter and no test needs it. It uses common only for the bookkeeping every chapter shares
// (command line, request text, body check, summary line), so its row measures the same thing.
#include <common/cli.hpp>
#include <common/http.hpp>
#include <common/load.hpp>
#include <common/resources.hpp>
#include <common/server_target.hpp>

#include <asio.hpp>

#include <chrono>
#include <cstddef>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

const common::ProgramInfo kInfo{
    "asio_client",
    "the load-mode workload with standalone asio and C++20 coroutines (benchmark reference)",
};

// Shared by every request coroutine. One thread runs them all, so plain fields need no lock.
struct LoadState {
    common::LoadTally tally;
    std::vector<bool> done;      // request i has been checked or failed
    Clock::time_point last_done; // when the last one finished
};

// Turns a failed step into the repository's error text: "connect 127.0.0.1:1: Connection refused".
void throw_if(const asio::error_code& ec, const char* step, const asio::ip::tcp::endpoint& server) {
    if (ec) {
        throw std::runtime_error(std::string(step) + " " + server.address().to_string() + ":" +
                                 std::to_string(server.port()) + ": " + ec.message());
    }
}

// One request, start to finish: connect, write the request, read to end of stream (the request
// says `Connection: close`), check the body. Every failure ends here as a failed request: a
// coroutine started with asio::detached must not let an exception escape (asio would rethrow it
// out of io_context::run and end the whole run), so each request reports its own.
asio::awaitable<void> request(asio::ip::tcp::endpoint server, std::size_t i, long delay_ms,
                              LoadState& state) {
    try {
        asio::error_code ec;
        asio::ip::tcp::socket socket(co_await asio::this_coro::executor);
        co_await socket.async_connect(server, asio::redirect_error(asio::use_awaitable, ec));
        throw_if(ec, "connect", server);
        const std::string text = common::get_request(common::load_path(delay_ms, i));
        co_await asio::async_write(socket, asio::buffer(text),
                                   asio::redirect_error(asio::use_awaitable, ec));
        throw_if(ec, "write", server);

        // Reading to end of stream "fails" with eof when the server closes: that is success
        // here. The dynamic buffer grows the string as needed, up to the limit the chapters'
        // parser enforces (reaching it ends the read without an error).
        std::string raw;
        co_await asio::async_read(socket, asio::dynamic_buffer(raw, common::kMaxResponseBytes),
                                  asio::redirect_error(asio::use_awaitable, ec));
        if (ec != asio::error::eof) {
            throw_if(ec ? ec : asio::error::message_size, "read", server);
        }
        state.tally.check(i, raw);
    } catch (const std::exception& e) {
        state.tally.fail(i, e.what());
    }
    state.done[i] = true;
    state.last_done = Clock::now();
}

int run_load(const common::Options& opts) {
    // Load mode's contract: quiet embedded server (or --server), descriptor limit raised and
    // checked for N connections.
    const common::ServerTarget target(opts, common::ServerTarget::Mode::Load);
    const std::string host =
        target.endpoint().host == "localhost" ? "127.0.0.1" : target.endpoint().host;
    const asio::ip::tcp::endpoint server(asio::ip::make_address(host), target.endpoint().port);

    // Declared before the io_context, so it outlives the coroutine frames the io_context still
    // owns (and destroys) after a deadline.
    LoadState state;
    state.done.assign(opts.requests, false);
    // Concurrency hint 1: one thread runs this io_context, so asio may leave out its locking.
    asio::io_context io(1);

    const auto start = Clock::now();
    state.last_done = start;
    for (std::size_t i = 0; i < opts.requests; ++i) {
        asio::co_spawn(io, request(server, i, opts.delay_ms, state), asio::detached);
    }
    // run_for returns when every coroutine has finished, or at the deadline.
    const auto deadline = opts.deadline(opts.delay_ms);
    io.run_for(deadline);

    long elapsed_ms = 0;
    if (state.tally.ok() + state.tally.failed() < opts.requests) {
        for (std::size_t i = 0; i < opts.requests; ++i) {
            if (!state.done[i]) {
                state.tally.fail(i, "no answer within " + std::to_string(deadline.count()) +
                                        " ms: timed out");
            }
        }
        elapsed_ms = static_cast<long>(deadline.count());
    } else {
        elapsed_ms = static_cast<long>(
            std::chrono::duration_cast<std::chrono::milliseconds>(state.last_done - start).count());
    }

    common::Summary summary;
    summary.chapter = "asio";
    summary.requests = opts.requests;
    summary.delay_ms = opts.delay_ms;
    summary.ok = state.tally.ok();
    summary.elapsed_ms = elapsed_ms;
    summary.peak_rss_kib = common::peak_rss_kib();
    summary.threads = 1; // the io_context's one thread, which is main
    // ASIO_VERSION is major * 100000 + minor * 100 + patch: 102201 is 1.22.1.
    summary.extra = {{"asio", std::to_string(ASIO_VERSION / 100000) + "." +
                                  std::to_string(ASIO_VERSION / 100 % 1000) + "." +
                                  std::to_string(ASIO_VERSION % 100)}};
    return common::finish_load(summary, state.tally);
}

} // namespace

int main(int argc, char** argv) {
    // Load mode only: without --requests/--delay-ms it runs the defaults (100 x 1000 ms).
    return common::run_program(argc, argv, kInfo, run_load);
}
