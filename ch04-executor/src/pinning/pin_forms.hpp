// The C++ forms of the ideas of the book's ch09/d-pin: heap pinning, stack pinning, why a swap
// cannot happen, and what pin projection becomes. Part of the pinning examples (book ch. 9), run by
// the ch04-pinning program; no runtime involved, only the rule ch04's Future follows.
//
// Rust pins a value by promise: once a Pin<&mut T> exists, the value must stay put, and the type
// system stops safe code from moving it (for types that are not Unpin). C++ has no Pin; the same
// effect comes from the type itself: a class whose copy and move operations are deleted can never
// be moved by anybody, pinned or not. ch04::Future is such a class, and so is MaybeSelfRef here.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>

namespace ch04::pinning {

// The book's MaybeSelfRef: a number `a` and, after init(), a pointer `b` to that number in the
// same object. Its move and copy are deleted (the book's PhantomPinned, which makes it !Unpin):
// once init() has run, a moved copy's `b` would point at the old `a`.
class MaybeSelfRef {
public:
    MaybeSelfRef() = default;
    MaybeSelfRef(const MaybeSelfRef&) = delete;
    MaybeSelfRef& operator=(const MaybeSelfRef&) = delete;
    MaybeSelfRef(MaybeSelfRef&&) = delete;
    MaybeSelfRef& operator=(MaybeSelfRef&&) = delete;

    void init() { b_ = &a_; }             // from here on the object points into itself
    std::size_t* b() const { return b_; } // nullptr before init()
    std::size_t a() const { return a_; }
    const std::size_t* address_of_a() const { return &a_; }

private:
    std::size_t a_ = 0;
    std::size_t* b_ = nullptr;
};

// Rust's stack_pinning_manual_problem swaps two values after their Pin is gone, and the pointer of
// one ends up aiming into the other. std::swap needs a move constructor and a move assignment, so
// for MaybeSelfRef (and for every ch04 future) it is not even a candidate: the swap does not
// compile, there is no promise to break.
static_assert(!std::is_swappable_v<MaybeSelfRef>);

// The book's pin_projection: a struct with a pinned field `a` and an ordinary field `b`. In Rust
// you choose per field whether a Pin<&mut Foo> projects to Pin<&mut MaybeSelfRef> (structural) or
// to a plain &mut String. In C++ there is nothing to choose: a class with an immovable member is
// immovable itself (its implicit move is deleted), so `a` stays where Foo stays; `b`'s *value* can
// still be moved out or replaced, because moving a std::string's contents never moves the member.
struct Foo {
    MaybeSelfRef a;
    std::string b;
};
static_assert(!std::is_move_constructible_v<Foo> && !std::is_copy_constructible_v<Foo>);
static_assert(!std::is_swappable_v<Foo>);

using Print = std::function<void(std::string_view)>;

// Each prints what it does and what it sees; the program calls them in this order.
void heap_pinning(const Print& print);   // std::unique_ptr: move the pointer, never the object
void stack_pinning(const Print& print);  // an immovable local: it cannot leave its frame
void swap_rejected(const Print& print);  // says what the static_asserts above proved
void pin_projection(const Print& print); // Foo: a stays, b's value may go

} // namespace ch04::pinning
