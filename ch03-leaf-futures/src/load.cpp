// Implementation of load.hpp: one small future per request (the GET plus the check of its body),
// all of them under one join_all, under one block_on.
#include "load.hpp"

#include "future.hpp"
#include "http_get_future.hpp"
#include "join_all.hpp"
#include "runtime.hpp"

#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace ch03 {
namespace {

using Clock = Runtime::Clock;

// One load request: the HttpGetFuture for request `index`, plus the check of its body. A non-leaf
// future too, and one that never throws: a failed request is counted in the tally and reported as
// ready(false), so one bad answer does not end the other N-1 requests (a join_all child that
// throws ends the join_all).
class LoadRequest final : public Future<bool> {
public:
    LoadRequest(std::unique_ptr<Future<std::string>> get, std::size_t index,
                common::LoadTally& tally, unsigned char& finished)
        : get_(std::move(get)), index_(index), tally_(tally), finished_(finished) {}

    PollState<bool> poll() override {
        if (!get_) {
            throw std::logic_error("LoadRequest polled after completion");
        }
        bool ok = false;
        try {
            PollState<std::string> state = get_->poll();
            if (!state.is_ready()) {
                return not_ready;
            }
            const std::string& body = state.value();
            const std::string expected = common::load_message(index_);
            if (body == expected) {
                tally_.succeed();
                ok = true;
            } else {
                tally_.fail(index_,
                            "wrong body '" + body.substr(0, 40) + "', expected '" + expected + "'");
            }
        } catch (const std::exception& e) {
            tally_.fail(index_, e.what());
        }
        get_.reset(); // the request is over: its future (already closed) goes now
        finished_ = 1;
        return ready(ok);
    }

private:
    std::unique_ptr<Future<std::string>> get_; // empty once finished
    std::size_t index_;
    common::LoadTally& tally_;
    unsigned char& finished_; // tells run_load which requests a timeout cut short
};

} // namespace

LoadRun run_load(const common::Endpoint& server, std::size_t requests, long delay_ms,
                 std::chrono::milliseconds deadline, common::LoadTally& tally) {
    Runtime runtime;
    Http http(runtime.registry(), server, Announce::No);

    // One flag per request, set by its LoadRequest when it settles. unsigned char, not bool:
    // std::vector<bool> packs its elements into bits, so it has no bool& to give each request.
    std::vector<unsigned char> finished(requests, 0);
    std::vector<std::unique_ptr<Future<bool>>> children;
    children.reserve(requests);
    for (std::size_t i = 0; i < requests; ++i) {
        children.push_back(std::make_unique<LoadRequest>(http.get(common::load_path(delay_ms, i)),
                                                         i, tally, finished[i]));
    }
    auto all = join_all(std::move(children));

    // Nothing has happened yet (every future is lazy): the first poll, inside block_on, makes the
    // first connection, so the clock starts here.
    const auto start = Clock::now();
    try {
        runtime.block_on(*all, start + deadline);
    } catch (const std::exception& e) {
        // The deadline (or epoll itself) failed the run: every request still open failed with it.
        for (std::size_t i = 0; i < finished.size(); ++i) {
            if (!finished[i]) {
                tally.fail(i, e.what());
            }
        }
    }
    LoadRun run;
    run.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    run.polls = all->child_polls();
    run.wakes = runtime.wakes();
    // Returning destroys `all`, and with it every request the deadline cut short: their sockets
    // close before the Runtime's Poll does (locals go in reverse order of construction).
    return run;
}

} // namespace ch03
