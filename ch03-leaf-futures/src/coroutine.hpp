// A coroutine written by hand: the state machine a compiler makes out of straight-line code with
// two waits in it (the `Coroutine` of the book's ch07/a-coroutine, plus the `counter` local of
// ch09/a-coroutines-variables). A non-leaf future: it does no I/O itself, it polls the
// HttpGetFutures it creates. ch05 lets the C++ compiler write this class from a co_await.
#pragma once

#include "future.hpp"

#include <common/print.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace ch03 {

// The straight-line code this class stands for, in the book's pseudo-syntax:
//
//     coroutine fn async_main() {
//         int counter = 0;
//         print("Program starting");
//         std::string txt = Http::get("/600/HelloWorld1").wait;   // wait point 1
//         print(txt);
//         counter += 1;
//         std::string txt2 = Http::get("/400/HelloWorld2").wait;  // wait point 2
//         print(txt2);
//         counter += 1;
//         print("Received " + counter + " responses.");
//     }
//
// Each `wait` is where the function gives control back (poll returns NotReady) and later resumes.
// So the code is cut at the waits, and each piece becomes one step between two states:
//
//     Start    --poll-->  print, start get #1                         --> Wait1
//     Wait1    --poll-->  (get #1 ready) print txt, counter += 1,
//                         start get #2                                --> Wait2
//     Wait2    --poll-->  (get #2 ready) print txt2, counter += 1,
//                         print the count                             --> Resolved
//
// A local that is used after a wait must survive the return from poll(), so it cannot live on the
// stack: it moves into the object (`stack_.counter` below). `txt` is used up before the second
// wait, so it need not survive, and it is a plain local of resume() (the body of poll()).
class Coroutine final : public Future<void> {
public:
    enum class State {
        Start,    // created, not polled yet: nothing has run
        Wait1,    // waiting for GET /600/HelloWorld1
        Wait2,    // waiting for GET /400/HelloWorld2
        Resolved, // finished; polling again is an error
    };

    // How the coroutine makes its requests and prints its lines. The program passes Http::get and
    // common::println (the book calls the global `Http::get` and `println!`); tests pass scripted
    // futures and a log, to watch every step.
    using HttpGet = std::function<std::unique_ptr<Future<std::string>>(std::string path)>;
    using Print = std::function<void(std::string_view)>;

    explicit Coroutine(HttpGet http_get, Print print = common::println);

    // Runs the code from where it stopped to the next wait whose future is not ready (NotReady),
    // or to the end (Ready). Passes on any exception of the futures it waits for (the book unwraps
    // and panics), which ends the coroutine as it would end the function: it is then Resolved.
    // Polling it once Resolved throws std::logic_error.
    PollState<void> poll() override;

    State state() const { return state_; }
    int counter() const { return stack_.counter; }

private:
    PollState<void> resume(); // poll() without the error handling

    HttpGet http_get_;
    Print print_;

    State state_ = State::Start;
    // The future the current wait is for: set in Wait1 and Wait2, empty otherwise. In the book the
    // future sits *inside* the enum (`State::Wait1(Box<dyn Future>)`); a C++ enum cannot carry
    // data, so it sits beside it (std::variant could carry it, at some cost to readability).
    std::unique_ptr<Future<std::string>> waiting_for_;

    // The locals that live across a wait: the coroutine's "stack", kept in the object.
    struct Stack {
        int counter = 0;
    } stack_;
};

// The book's `fn async_main() -> impl Future<Output = ()>`: calling it runs nothing, it only
// returns the coroutine, ready to be polled.
std::unique_ptr<Coroutine> async_main(Coroutine::HttpGet http_get,
                                      Coroutine::Print print = common::println);

} // namespace ch03
