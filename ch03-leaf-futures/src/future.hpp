// The two types every later idea in this repository is built on: PollState<T> (ready with a value,
// or not ready yet) and Future<T> (something you can ask "are you done?"). The `future.rs` of the
// book's ch07 examples (explained in book ch. 6 and 7), in C++. No waker yet: whoever polls a
// future here must find out by itself when polling again is worth it (ch04 adds the waker that
// tells it).
#pragma once

#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace ch03 {

// The book's `PollState::NotReady` and `PollState::Ready(value)`. A future returns one of these
// two, written `return not_ready;` and `return ready(std::move(value));`.
struct NotReady {};
inline constexpr NotReady not_ready{};

template <typename T>
struct Ready {
    T value;
};
template <>
struct Ready<void> {};

template <typename T>
Ready<std::decay_t<T>> ready(T&& value) {
    return Ready<std::decay_t<T>>{std::forward<T>(value)};
}
inline Ready<void> ready() {
    return {};
}

// What one call to Future::poll() says: either the value, or "not yet, poll me again later".
template <typename T>
class PollState {
public:
    PollState(NotReady) {}
    PollState(Ready<T> r) : value_(std::move(r.value)) {}

    bool is_ready() const { return value_.has_value(); }

    // The value of a ready state. Asking a NotReady state for its value is a bug in the caller.
    // On a temporary (`future.poll().value()`) the value is moved out and returned by value, so
    // `auto&& v = f.poll().value();` cannot dangle when the temporary PollState dies.
    T& value() & { return checked(); }
    T value() && { return std::move(checked()); }

private:
    T& checked() {
        if (!value_) {
            throw std::logic_error("PollState::value() called on NotReady");
        }
        return *value_;
    }
    std::optional<T> value_;
};

// A future of nothing (the book's `Future<Output = ()>`) is ready or not, and carries no value.
template <>
class PollState<void> {
public:
    PollState(NotReady) {}
    PollState(Ready<void>) : ready_(true) {}

    bool is_ready() const { return ready_; }
    void value() const {}

private:
    bool ready_ = false;
};

// The book's `trait Future { type Output; fn poll(&mut self) -> PollState<Self::Output>; }`.
//
// poll() makes as much progress as it can *without blocking* and returns. It is called again and
// again until it returns a ready state; after that it must not be called again (our futures throw
// std::logic_error if it is; in the book only the coroutines check, with a panic!).
//
// Futures live behind std::unique_ptr, the book's Box<dyn Future>: one owner, never copied. Copying
// one would duplicate a half-finished operation (two owners of one socket); the base class deletes
// copying, and with it moving, so the compiler refuses both.
template <typename T>
class Future {
public:
    using Output = T;

    Future() = default;
    Future(const Future&) = delete;
    Future& operator=(const Future&) = delete;
    virtual ~Future() = default;

    virtual PollState<T> poll() = 0;
};

} // namespace ch03
