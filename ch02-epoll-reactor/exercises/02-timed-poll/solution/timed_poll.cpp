// Exercise ch02/02, a reference answer: read the monotonic clock on both sides of the wait. What
// it measures is the time inside Poll::poll — the system call, plus EINTR retries — which is the
// time the thread did no work of its own.
#include "timed_poll.hpp"

namespace ch02::exercise {

TimedPoll::Clock::duration TimedPoll::poll(Events& events,
                                           std::optional<std::chrono::milliseconds> timeout) {
    const Clock::time_point before = Clock::now();
    poll_.poll(events, timeout);
    const Clock::duration slept = Clock::now() - before;
    total_slept_ += slept;
    ++waits_;
    if (events.empty()) {
        ++timeouts_;
    }
    return slept;
}

} // namespace ch02::exercise
