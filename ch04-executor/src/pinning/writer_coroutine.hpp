// The coroutine of the book's ch09/b-coroutines-references, written by hand: a state machine that
// keeps a pointer into itself across a wait. Part of the pinning examples (book ch. 9), which the
// ch04-pinning program runs; it uses the chapter's runtime (Reactor, HttpGetFuture, Timeout).
//
// It is a template over its base class, so that the *same* code can be run twice: derived from
// ch04::Future<void> it can never be moved (future.hpp), and runs correctly on ch04's Executor
// (e-coroutines-pin); derived from pinning::UnpinnedFuture<void> (relocating_executor.hpp) it can
// be moved, and the demo executor there moves it after its first poll (c-coroutines-problem).
#pragma once

#include "ch04-executor/src/future.hpp"
#include "ch04-executor/src/http_get_future.hpp"
#include "ch04-executor/src/reactor.hpp"
#include "ch04-executor/src/sleep.hpp"

#include <common/http.hpp>
#include <common/net.hpp>
#include <common/print.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace ch04::pinning {

// The coroutine's `buffer`: text kept inside the object itself, in a fixed array (the book's String
// keeps its text on the heap and only its header in the object; the header is what `writer`
// points at there, so the bug is the same). Text that does not fit is cut off.
class TextBuffer {
public:
    void write(std::string_view text) {
        for (const char c : text) {
            if (size_ == bytes_.size()) {
                return;
            }
            bytes_[size_++] = c;
        }
    }
    std::string_view view() const { return std::string_view(bytes_.data(), size_); }

private:
    std::array<char, 128> bytes_{};
    std::size_t size_ = 0;
};

// How the coroutine prints (the program passes common::println, tests a log).
using Print = std::function<void(std::string_view)>;

// The straight-line code it stands for, in the book's pseudo-syntax:
//
//     coroutine fn async_main() {
//         let mut buffer = String::from("\nBUFFER:\n----\n");
//         let writer = &mut buffer;                        // a local that points at a local
//         println!("Program starting");
//         let txt = Http::get("/600/HelloAsyncAwait").wait;   // wait point 1
//         writeln!(writer, "{txt}");                           // write through the pointer
//         let txt = Http::get("/400/HelloAsyncAwait").wait;   // wait point 2
//         writeln!(writer, "{txt}");
//         println!("{buffer}");
//     }
//
// Both `buffer` and `writer` are used after a wait, so both move into the object (`stack_`). Then
// `writer` is a pointer from the object into the object: the coroutine is self-referential. The
// pointer is only set in the first poll, so the object may move freely *before* it (nothing points
// into it yet) and must not move *after* it.
template <class Base>
class WriterCoroutine final : public Base {
public:
    enum class State { Start, Wait1, Wait2, Resolved };

    // `scale` divides the book's delays (600 and 400 ms); each request is bounded by `deadline`.
    WriterCoroutine(Reactor& reactor, const common::Endpoint& server, long scale,
                    std::chrono::milliseconds deadline, Print print = common::println)
        : reactor_(&reactor), server_(server), scale_(scale), deadline_(deadline),
          print_(std::move(print)) {}

    PollState<void> poll(const Waker& waker) override {
        for (;;) {
            switch (state_) {
            case State::Start:
                // let mut buffer = ...; let writer = &mut buffer;  -- the self-reference is born
                stack_.buffer.write("\nBUFFER:\n----\n");
                stack_.writer = &stack_.buffer;
                print_("Program starting");
                start_get(600, State::Wait1);
                break;
            case State::Wait1:
            case State::Wait2: {
                PollState<std::string> txt = waiting_for_->poll(waker);
                if (!txt.is_ready()) {
                    return PollState<void>::not_ready();
                }
                // writeln!(writer, "{txt}"): through the pointer, as the code was written. If this
                // object has moved since the first poll, `writer` still aims at the old place.
                stack_.writer->write(txt.take() + "\n");
                if (state_ == State::Wait1) {
                    start_get(400, State::Wait2);
                    break;
                }
                print_(stack_.buffer.view()); // println!("{buffer}"): this object's own buffer
                waiting_for_.reset();
                state_ = State::Resolved;
                return PollState<void>::ready();
            }
            case State::Resolved:
                throw std::logic_error("WriterCoroutine polled after completion");
            }
        }
    }

    State state() const { return state_; }
    // True while `writer` points at this object's own buffer (before the first poll it points
    // nowhere). Tests ask it; the coroutine itself cannot tell, which is the whole problem.
    bool writer_points_into_self() const { return stack_.writer == &stack_.buffer; }

private:
    void start_get(long delay_ms, State next) {
        waiting_for_ = std::make_unique<Timeout<std::string>>(
            *reactor_,
            std::make_unique<HttpGetFuture>(
                *reactor_, server_, common::delay_path(delay_ms / scale_, "HelloAsyncAwait")),
            deadline_, "request");
        state_ = next;
    }

    // A pointer, not a reference, so that the UnpinnedFuture variant keeps its implicit move
    // assignment too (a reference member would delete it); it never changes.
    Reactor* reactor_;
    common::Endpoint server_;
    long scale_;
    std::chrono::milliseconds deadline_;
    Print print_;
    State state_ = State::Start;
    std::unique_ptr<Future<std::string>> waiting_for_; // the request of Wait1 or Wait2

    // The locals that live across a wait: the coroutine's "stack", kept in the object (the book's
    // Stack0). `writer` points at `buffer`, in this very object.
    struct Stack {
        TextBuffer buffer;
        TextBuffer* writer = nullptr;
    } stack_;
};

} // namespace ch04::pinning
