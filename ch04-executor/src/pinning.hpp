// The pinning lesson of book ch. 9, in C++ terms — a deliberately broken example.
//
// A future that has been polled may point into itself. A hand-written state machine (ch03's
// coroutine, the demo's Request) keeps its "local variables" as members; when one local refers to
// another, the object holds a pointer into itself. The book's ch09/b-coroutines-references does
// exactly that: its coroutine keeps a String and a `writer` pointer to it across a wait. Its
// ch09/c-coroutines-problem then polls that coroutine once on block_on's stack and moves it into a
// Box; the pointer still aims at the old place, and the next write goes there. Moving copies the
// pointer, not what it means:
//
//     SelfReferential a;          // a.cursor points at a.buffer
//     a.write("abc");             // writes into a.buffer through a.cursor: fine
//     SelfReferential b = std::move(a);
//     b.write("def");             // writes into a.buffer (!) — b.buffer never changes
//
// Rust forbids moving such a value once it is pinned (Pin<&mut T>). The C++ rule used here is the
// same idea expressed through the type: ch04::Future deletes its copy and move operations, so no
// future can be moved after its first poll, and every future is created where it stays — behind a
// std::unique_ptr, which the executor moves instead of the future, or as a member of a future that
// is. (C++20 coroutine frames, ch05, get the same guarantee for free: the frame is allocated once
// and never moves.)
#pragma once

#include <array>
#include <cstddef>
#include <functional>
#include <string_view>

namespace ch04::pinning {

// NOT a future and not used by the runtime: a labelled example of the bug. Its default move
// copies `cursor_` and `end_` — exactly what a compiler-generated move of a self-referential state
// machine would do. After a move, the new object writes into the *old* object's buffer; once the
// old object is destroyed that is a use-after-free (tests keep it alive to show where the bytes
// went).
class SelfReferential {
public:
    SelfReferential() : cursor_(buffer_.data()), end_(buffer_.data() + buffer_.size() - 1) {}

    // Appends through the cursor (the "local variable" that points into the state). The last byte
    // stays '\0', so contents() always ends inside the buffer the cursor belongs to.
    void write(std::string_view text) {
        for (const char c : text) {
            if (cursor_ != end_) {
                *cursor_++ = c;
            }
        }
    }
    std::string_view contents() const { return std::string_view(buffer_.data()); }

    // True while the cursor still points into this object's own buffer. std::less, not `<`:
    // comparing pointers into different objects with `<` is unspecified, std::less is a total
    // order.
    bool cursor_points_into_self() const {
        const std::less<const char*> before;
        return !before(cursor_, buffer_.data()) && before(cursor_, buffer_.data() + buffer_.size());
    }

private:
    std::array<char, 32> buffer_{};
    char* cursor_; // points into buffer_: this is what makes the type self-referential
    char* end_;    // so does this: the bound the cursor must stay below
};

} // namespace ch04::pinning
