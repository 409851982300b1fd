// Implementation of five_waits.hpp: one `case` per state, each the code between two waits. The
// book's generated code repeats the same block five times; here each WaitN state is the same two
// calls, so the only thing that changes from state to state is where it goes next.
#include "five_waits.hpp"

#include <stdexcept>
#include <utility>

namespace ch03 {

FiveWaits::FiveWaits(Paths paths, Coroutine::HttpGet http_get, Coroutine::Print print)
    : paths_(std::move(paths)), http_get_(std::move(http_get)), print_(std::move(print)) {}

PollState<void> FiveWaits::poll() {
    try {
        return resume();
    } catch (...) {
        waiting_for_.reset(); // the failed future goes, and the coroutine is over
        state_ = State::Resolved;
        throw;
    }
}

bool FiveWaits::print_response() {
    PollState<std::string> result = waiting_for_->poll();
    if (!result.is_ready()) {
        return false;
    }
    print_(std::move(result).value()); // print(txt)
    return true;
}

void FiveWaits::start_get(int index, State next) {
    // Replacing the pointer destroys the finished future before the next one exists.
    waiting_for_ = http_get_(paths_[static_cast<std::size_t>(index)]);
    state_ = next;
}

PollState<void> FiveWaits::resume() {
    // As in Coroutine::resume, `break` means "on to the next state in this same poll", and
    // `return not_ready;` is the suspend (the book's `break PollState::NotReady`).
    for (;;) {
        switch (state_) {
        case State::Start:
            print_("Program starting");
            start_get(0, State::Wait1);
            break;
        case State::Wait1:
            if (!print_response()) {
                return not_ready; // suspended at wait point 1
            }
            start_get(1, State::Wait2);
            break;
        case State::Wait2:
            if (!print_response()) {
                return not_ready; // wait point 2
            }
            start_get(2, State::Wait3);
            break;
        case State::Wait3:
            if (!print_response()) {
                return not_ready; // wait point 3
            }
            start_get(3, State::Wait4);
            break;
        case State::Wait4:
            if (!print_response()) {
                return not_ready; // wait point 4
            }
            start_get(4, State::Wait5);
            break;
        case State::Wait5:
            if (!print_response()) {
                return not_ready; // wait point 5
            }
            waiting_for_.reset();
            state_ = State::Resolved;
            return ready();
        case State::Resolved:
            throw std::logic_error("FiveWaits polled after completion");
        }
    }
}

} // namespace ch03
