// Tests of the pinning lesson (pinning.hpp, book ch. 9): the labelled self-referential example
// really breaks when moved, and the chapter's futures cannot be moved or copied at all — checked at
// compile time, which is where C++ enforces what Rust's Pin enforces.
#include "ch04-executor/src/future.hpp"
#include "ch04-executor/src/http_get_future.hpp"
#include "ch04-executor/src/pinning.hpp"
#include "ch04-executor/src/sleep.hpp"

#include <doctest/doctest.h>

#include <string>
#include <type_traits>
#include <utility>

namespace {

using namespace ch04;

// The rule, as the compiler checks it: no future of this chapter can be moved or copied, so none
// can be moved after its first poll.
template <class T>
constexpr bool pinned = !std::is_move_constructible_v<T> && !std::is_move_assignable_v<T> &&
                        !std::is_copy_constructible_v<T> && !std::is_copy_assignable_v<T>;

static_assert(pinned<Future<void>>);
static_assert(pinned<Future<std::string>>);
static_assert(pinned<HttpGetFuture>);
static_assert(pinned<Sleep>);
static_assert(pinned<Timeout<std::string>>);
// ... while the deliberately broken example can be moved, which is its bug.
static_assert(std::is_move_constructible_v<pinning::SelfReferential>);

TEST_CASE("THE BUG, documented: a self-referential object moved after use keeps pointing into the "
          "old object") {
    pinning::SelfReferential a;
    CHECK(a.cursor_points_into_self());
    a.write("abc");
    CHECK(a.contents() == "abc");

    pinning::SelfReferential b = std::move(a); // what moving a polled future would do
    CHECK_FALSE(b.cursor_points_into_self());  // b's cursor still aims at a's buffer
    b.write("def");
    CHECK(b.contents() == "abc");    // b's own buffer never changes ...
    CHECK(a.contents() == "abcdef"); // ... the bytes landed in the moved-from object
    // (Had `a` been destroyed first, as a moved-from future often is, that write would have been
    // a use-after-free. The sanitizer builds would report it; here `a` is kept alive on purpose.)
}

TEST_CASE("an object that never moves keeps its self-references valid") {
    pinning::SelfReferential fixed;
    fixed.write("abc");
    fixed.write("def");
    CHECK(fixed.cursor_points_into_self());
    CHECK(fixed.contents() == "abcdef");
    // The buffer keeps its last byte for the terminator, whatever is written.
    fixed.write(std::string(100, 'x'));
    CHECK(fixed.contents().size() == 31);
    CHECK(fixed.cursor_points_into_self());
}

} // namespace
