// Tests of future.hpp: PollState's two shapes and the ownership rules of Future. The header comes
// first, to prove it compiles on its own.
#include "ch03-leaf-futures/src/future.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace {

ch03::PollState<std::string> answer(bool done) {
    if (!done) {
        return ch03::not_ready;
    }
    return ch03::ready(std::string("HelloWorld"));
}

// The smallest concrete future: the traits below are about what a derived class inherits.
class Seven final : public ch03::Future<int> {
public:
    ch03::PollState<int> poll() override { return ch03::ready(7); }
};

} // namespace

TEST_CASE("a PollState is either ready with a value or not ready") {
    ch03::PollState<std::string> pending = answer(false);
    CHECK_FALSE(pending.is_ready());
    CHECK_THROWS_AS(pending.value(), std::logic_error);

    ch03::PollState<std::string> done = answer(true);
    REQUIRE(done.is_ready());
    CHECK(done.value() == "HelloWorld");
    const std::string taken = std::move(done).value();
    CHECK(taken == "HelloWorld");
}

TEST_CASE("a PollState can carry a move-only value and a Future<void> carries none") {
    ch03::PollState<std::unique_ptr<int>> state = ch03::ready(std::make_unique<int>(7));
    REQUIRE(state.is_ready());
    const std::unique_ptr<int> value = std::move(state).value();
    CHECK(*value == 7);

    const ch03::PollState<void> pending = ch03::not_ready;
    const ch03::PollState<void> done = ch03::ready();
    CHECK_FALSE(pending.is_ready());
    CHECK(done.is_ready());
}

TEST_CASE("a future can be neither copied nor moved, only owned through a pointer") {
    // A copy would be a second owner of a half-finished operation; the compiler must refuse it.
    CHECK_FALSE(std::is_copy_constructible_v<Seven>);
    CHECK_FALSE(std::is_copy_assignable_v<Seven>);
    CHECK_FALSE(std::is_move_constructible_v<Seven>);
    CHECK_FALSE(std::is_move_assignable_v<Seven>);
    // Owned as a Future<int> and destroyed through it, so the destructor must be virtual.
    CHECK(std::has_virtual_destructor_v<ch03::Future<int>>);
    std::unique_ptr<ch03::Future<int>> owned = std::make_unique<Seven>();
    CHECK(owned->poll().value() == 7);
}
