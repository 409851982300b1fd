// Implementation of coroutine.hpp: the hand-written state machine, step by step. Read it beside
// the straight-line code in the header; each `case` is the piece of code between two waits.
#include "coroutine.hpp"

#include <stdexcept>
#include <utility>

namespace ch03 {

Coroutine::Coroutine(HttpGet http_get, Print print)
    : http_get_(std::move(http_get)), print_(std::move(print)) {}

PollState<void> Coroutine::poll() {
    try {
        return resume();
    } catch (...) {
        // An exception ends the coroutine as it would end the function: it is finished, and the
        // future it waited for (already failed and closed) goes now.
        waiting_for_.reset();
        state_ = State::Resolved;
        throw;
    }
}

PollState<void> Coroutine::resume() {
    // The loop runs one piece after another as long as they can finish right away, exactly like
    // the book's `loop { match self.state { ... } }`: a poll ends only at a wait that is not ready
    // yet (return not_ready) or at the end (return ready()).
    //
    // Mind the two meanings of `break`. Here, in C++, `break` leaves the switch and the for(;;)
    // goes round again: "go on to the next state". In the book's Rust (and in what corofy
    // generates), `break PollState::NotReady` leaves the *loop* with that value, so poll returns
    // it: "suspend". Our suspend is spelled `return not_ready;`.
    for (;;) {
        switch (state_) {
        case State::Start: {
            // int counter = 0;  (stack_.counter starts at 0)
            print_("Program starting");
            // Http::get("/600/HelloWorld1") only *creates* the future; the wait below polls it.
            waiting_for_ = http_get_("/600/HelloWorld1");
            state_ = State::Wait1;
            break; // on to Wait1 in this same poll (not a suspend: see the top of this function)
        }

        case State::Wait1: {
            PollState<std::string> result = waiting_for_->poll();
            if (!result.is_ready()) {
                return not_ready; // suspended at wait point 1; the next poll comes back here
            }
            const std::string txt = std::move(result).value();
            print_(txt);
            stack_.counter += 1;
            waiting_for_ = http_get_("/400/HelloWorld2"); // the first future is destroyed here
            state_ = State::Wait2;
            break; // on to Wait2 in this same poll
        }

        case State::Wait2: {
            PollState<std::string> result = waiting_for_->poll();
            if (!result.is_ready()) {
                return not_ready; // suspended at wait point 2
            }
            const std::string txt2 = std::move(result).value();
            print_(txt2);
            stack_.counter += 1;
            print_("Received " + std::to_string(stack_.counter) + " responses.");
            waiting_for_.reset();
            state_ = State::Resolved;
            return ready();
        }

        case State::Resolved:
            throw std::logic_error("Coroutine polled after completion");
        }
    }
}

std::unique_ptr<Coroutine> async_main(Coroutine::HttpGet http_get, Coroutine::Print print) {
    return std::make_unique<Coroutine>(std::move(http_get), std::move(print));
}

} // namespace ch03
