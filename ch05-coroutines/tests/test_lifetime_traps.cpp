// Tests of the SAFE forms in lifetime_traps.hpp: data a lazy task needs after a suspension lives in
// its own frame, so the caller's temporaries and closures may die first. The BAD forms are
// compiled (this file includes them) but never run: that would be undefined behaviour, which the
// asan preset would report as a use after free.
#include "ch05-coroutines/src/lifetime_traps.hpp"

#include "helpers.hpp"

#include "ch05-coroutines/src/runtime.hpp"
#include "ch05-coroutines/src/spawn.hpp"

#include <common/test_support/resources.hpp>

#include <doctest/doctest.h>

#include <string>
#include <utility>

using namespace ch05;
using namespace ch05::test;

TEST_CASE("a by-value parameter outlives the caller's temporary: the frame owns its copy") {
    const Watchdog watchdog;
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        Runtime runtime(common::Endpoint{"127.0.0.1", 9});
        // The std::string temporary built for the call dies at the end of this statement; the
        // task runs later, in block_on, and reads its own copy.
        Task<std::size_t> task = lifetime_traps::length_later(std::string(100, 'x'));
        CHECK(block_on(std::move(task)) == 100);
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}

TEST_CASE("a by-value parameter is the frame's own copy: changing the caller's string after the "
          "call does not reach the task") {
    // The same trap without undefined behaviour: the caller's string is still alive, only changed
    // before the lazy task runs. A reference parameter would see the change.
    const Watchdog watchdog;
    Runtime runtime(common::Endpoint{"127.0.0.1", 9});
    std::string text = "four";
    Task<std::size_t> task = lifetime_traps::length_later(text);
    text = "changed after the call";
    CHECK(block_on(std::move(task)) == 4);
}

TEST_CASE("a lambda coroutine with parameters instead of captures outlives its closure") {
    const Watchdog watchdog;
    const std::size_t baseline = common::test::open_descriptor_count();
    {
        Runtime runtime(common::Endpoint{"127.0.0.1", 9});
        // The closure inside greeting() is gone when it returns; the frame holds `who` itself.
        Task<std::string> task = lifetime_traps::greeting(std::string(40, 'r'));
        CHECK(block_on(std::move(task)) == "hello " + std::string(40, 'r'));
    }
    CHECK(common::test::open_descriptor_count() == baseline);
}
