// A second coroutine written by hand: straight-line code with five waits in a row, the state
// machine the book's corofy tool makes of the `async_main` of ch07/b-async-await. Beside
// coroutine.hpp (two waits) it shows that a state machine grows by one state per wait, and that
// the waits still run one after another: five requests take the sum of their delays, however the
// runtime waits (join_all is what makes them overlap).
#pragma once

#include "coroutine.hpp"
#include "future.hpp"

#include <array>
#include <memory>
#include <string>

namespace ch03 {

// The straight-line code this class stands for, in the book's pseudo-syntax (the book asks for
// get_path(i) = "/{i*1000}/HelloWorld{i}"; the caller chooses the five paths here):
//
//     coroutine fn async_main() {
//         print("Program starting");
//         let txt = Http::get(path[0]).wait;   print(txt);    // wait point 1
//         let txt = Http::get(path[1]).wait;   print(txt);    // wait point 2
//         let txt = Http::get(path[2]).wait;   print(txt);    // wait point 3
//         let txt = Http::get(path[3]).wait;   print(txt);    // wait point 4
//         let txt = Http::get(path[4]).wait;   print(txt);    // wait point 5
//     }
//
// Cut at the waits, it becomes seven states and six steps:
//
//     Start  --poll-->  print "Program starting", start get #1        --> Wait1
//     Wait1  --poll-->  (get #1 ready) print it, start get #2         --> Wait2
//     Wait2  --poll-->  (get #2 ready) print it, start get #3         --> Wait3
//     Wait3  --poll-->  (get #3 ready) print it, start get #4         --> Wait4
//     Wait4  --poll-->  (get #4 ready) print it, start get #5         --> Wait5
//     Wait5  --poll-->  (get #5 ready) print it                       --> Resolved
//
// No local outlives a wait (each `txt` is printed before the next wait), so unlike Coroutine this
// one keeps no "stack" in the object: only the state and the future it waits for.
class FiveWaits final : public Future<void> {
public:
    enum class State { Start, Wait1, Wait2, Wait3, Wait4, Wait5, Resolved };

    using Paths = std::array<std::string, 5>;

    FiveWaits(Paths paths, Coroutine::HttpGet http_get, Coroutine::Print print = common::println);

    // Runs from where it stopped to the next wait that is not ready, or to the end. As Coroutine:
    // an exception from a future ends the coroutine (Resolved) and passes on; polling it once
    // Resolved throws std::logic_error.
    PollState<void> poll() override;

    State state() const { return state_; }

private:
    PollState<void> resume(); // poll() without the error handling
    // The two halves every WaitN state is made of.
    bool print_response();                 // false: the awaited get is not ready yet
    void start_get(int index, State next); // create get #index+1, go to `next`

    Paths paths_;
    Coroutine::HttpGet http_get_;
    Coroutine::Print print_;
    State state_ = State::Start;
    // The future of the current wait (Wait1..Wait5), empty otherwise; the book keeps it inside
    // the enum (`State0::Wait3(Box<dyn Future>)`), see coroutine.hpp for why it sits beside it.
    std::unique_ptr<Future<std::string>> waiting_for_;
};

} // namespace ch03
