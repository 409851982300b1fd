// Tests of the context switch itself (src/switch.S, src/context.cpp) and of Fiber (src/fiber.hpp):
// every callee-saved register survives a switch, the stack is aligned as the ABI requires when a
// fiber starts, exceptions stay on their own stack, a fiber destroyed while suspended destroys
// what is on its stack, and misuse is refused.
#include "ch05-coroutines/fibers/src/context.hpp"
#include "ch05-coroutines/fibers/src/fiber.hpp"
#include "ch05-coroutines/fibers/src/sanitizers.hpp"
#include "ch05-coroutines/fibers/src/stack.hpp"

#include <common/test_support/counted.hpp>

#include <doctest/doctest.h>

#include <cfenv>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

extern "C" std::uint64_t fiber_test_switch_marked(ch05::fibers::Context* from,
                                                  const ch05::fibers::Context* to,
                                                  std::uint64_t seed);

namespace {

using namespace ch05::fibers;
using common::test::Counted;

// Seeds for the two sides: different values in every register, and different rounding modes
// (low two bits 1 and 2, neither the default 0).
constexpr std::uint64_t kMainSeed = 0x1111'0000'0000'0001;
constexpr std::uint64_t kFiberSeed = 0x2222'0000'0000'0002;

struct RegisterProbe {
    Context main_side;
    Context fiber_side;
    const Stack* stack = nullptr;
    std::uint64_t fiber_mask = ~std::uint64_t{0};
    const void* main_bottom = nullptr;
    std::size_t main_size = 0;
    void* tsan_main = nullptr;
};

void probe_entry(void* raw) {
    auto* probe = static_cast<RegisterProbe*>(raw);
    sanitizers::finish_switch(nullptr, &probe->main_bottom, &probe->main_size);
    // Fill every callee-saved register with the fiber's values and switch back to main; when main
    // switches here again, check that they are all still ours.
    void* fake_stack = nullptr;
    sanitizers::start_switch(&fake_stack, probe->main_bottom, probe->main_size);
    sanitizers::tsan_switch_to(probe->tsan_main);
    probe->fiber_mask = fiber_test_switch_marked(&probe->fiber_side, &probe->main_side, kFiberSeed);
    sanitizers::finish_switch(fake_stack, &probe->main_bottom, &probe->main_size);
    sanitizers::start_switch(nullptr, probe->main_bottom, probe->main_size);
    sanitizers::tsan_switch_to(probe->tsan_main);
    fiber_switch(&probe->fiber_side, &probe->main_side);
}

// Switches from main into the probe's fiber with main's marked values, returns main's mask.
std::uint64_t main_switch_marked(RegisterProbe& probe, void* tsan_fiber) {
    void* fake_stack = nullptr;
    sanitizers::start_switch(&fake_stack, probe.stack->bottom(), probe.stack->size());
    sanitizers::tsan_switch_to(tsan_fiber);
    const std::uint64_t mask =
        fiber_test_switch_marked(&probe.main_side, &probe.fiber_side, kMainSeed);
    sanitizers::finish_switch(fake_stack, nullptr, nullptr);
    return mask;
}

TEST_CASE("every callee-saved register, general-purpose and floating-point, survives a switch") {
    const Stack stack(64 * 1024);
    RegisterProbe probe;
    probe.stack = &stack;
    probe.tsan_main = sanitizers::tsan_current();
    void* const tsan_fiber = sanitizers::tsan_create();
    prepare_context(probe.fiber_side, stack.top(), &probe_entry, &probe);

    // Main -> fiber (which loads its own values) -> main: main's values must be back.
    const std::uint64_t main_mask = main_switch_marked(probe, tsan_fiber);
    // Main (with its values loaded again) -> fiber: the fiber's values must be back.
    const std::uint64_t main_mask_2 = main_switch_marked(probe, tsan_fiber);
    sanitizers::tsan_destroy(tsan_fiber);
    // On x86-64 bits 0-5 are rbx, rbp, r12-r15, 6 MXCSR, 7 the x87 control word; on AArch64
    // bits 0-9 are x19-x28, 10-17 d8-d15 and 18 FPCR's rounding mode (tests/registers.S).
    CHECK(main_mask == 0);
    CHECK(main_mask_2 == 0);
    CHECK(probe.fiber_mask == 0);
}

TEST_CASE("a rounding mode set inside a fiber stays in that fiber") {
    // What the register test checks for the rounding mode, through the C library: std::fesetround
    // writes it into FPCR on AArch64, into MXCSR and the x87 control word on x86-64 (where glibc's
    // std::fegetround reads it back from the control word, so there this test needs both lost).
    REQUIRE(std::fegetround() == FE_TONEAREST);
    int inside_after_resume = -1;
    Fiber fiber(
        [&inside_after_resume] {
            std::fesetround(FE_UPWARD);
            Fiber::suspend();
            inside_after_resume = std::fegetround();
        },
        16 * 1024);
    fiber.resume();
    const int outside = std::fegetround(); // the fiber's mode must not have leaked out
    std::fesetround(FE_TOWARDZERO);        // nor may ours leak in
    fiber.resume();
    const int outside_again = std::fegetround();
    std::fesetround(FE_TONEAREST);
    CHECK(outside == FE_TONEAREST);
    CHECK(inside_after_resume == FE_UPWARD);
    CHECK(outside_again == FE_TOWARDZERO);
}

TEST_CASE("a new fiber's stack is aligned as the ABI requires at function entry") {
    const Stack stack(16 * 1024);
    Context context;
    // A deliberately misaligned top: prepare_context must round it down.
    void* const top = static_cast<char*>(stack.top()) - 24;
    prepare_context(
        context, top, [](void*) {}, nullptr);
#if defined(__x86_64__)
    // After fiber_switch's `ret` pops the entry address, rsp = context.rsp + 8, and at a function's
    // first instruction System V wants rsp % 16 == 8 (a `call` just pushed 8 bytes).
    CHECK((context.rsp + 8) % 16 == 8);
#elif defined(__aarch64__)
    CHECK(context.sp % 16 == 0);
#endif
    // And from inside a fiber: at every call site the stack pointer is a multiple of 16. A fiber
    // entered misaligned stays misaligned, because the compiler keeps frames relative to entry.
    std::uintptr_t at_call = 1;
    Fiber fiber([&at_call] { at_call = fiber_stack_pointer(); }, 16 * 1024);
    fiber.resume();
    CHECK(fiber.finished());
    CHECK(at_call % 16 == 0);
}

TEST_CASE("resume runs a fiber to its suspend, and the next resume continues after it") {
    std::vector<std::string> steps;
    Fiber fiber(
        [&steps] {
            steps.push_back("one");
            Fiber::suspend();
            steps.push_back("two");
        },
        16 * 1024);
    CHECK_FALSE(fiber.started());
    fiber.resume();
    CHECK(steps == std::vector<std::string>{"one"});
    CHECK_FALSE(fiber.finished());
    fiber.resume();
    CHECK(steps == std::vector<std::string>{"one", "two"});
    CHECK(fiber.finished());
    CHECK_THROWS_AS(fiber.resume(), std::logic_error);
}

TEST_CASE("an exception thrown inside a fiber is rethrown by the resume that saw it end") {
    Counted::reset();
    Fiber fiber(
        [] {
            const Counted on_the_fiber_stack;
            Fiber::suspend();
            throw std::runtime_error("thrown on the fiber's stack");
        },
        16 * 1024);
    fiber.resume();
    CHECK(Counted::alive() == 1);
    CHECK_THROWS_WITH_AS(fiber.resume(), "thrown on the fiber's stack", std::runtime_error);
    CHECK(fiber.finished());
    CHECK(Counted::alive() == 0); // unwound on the fiber's stack before it ended
    // Caught inside the fiber: nothing comes out.
    Fiber catching(
        [] {
            try {
                throw std::runtime_error("caught where it was thrown");
            } catch (const std::runtime_error&) {
            }
        },
        16 * 1024);
    CHECK_NOTHROW(catching.resume());
    CHECK(catching.finished());
}

TEST_CASE("a fiber destroyed while suspended destroys the objects on its stack, once each") {
    Counted::reset();
    bool reached_end = false;
    {
        Fiber fiber(
            [&reached_end] {
                const Counted outer;
                {
                    const Counted inner;
                    Fiber::suspend(); // destroyed here: suspend throws Fiber::Unwind
                }
                reached_end = true;
            },
            16 * 1024);
        fiber.resume();
        CHECK(Counted::alive() == 2);
    }
    CHECK(Counted::constructed() == 2);
    CHECK(Counted::destroyed() == 2);
    CHECK_FALSE(reached_end); // the code after the suspend point did not run
}

TEST_CASE("a fiber destroyed before it started runs nothing") {
    bool ran = false;
    {
        const Fiber fiber([&ran] { ran = true; }, 16 * 1024);
    }
    CHECK_FALSE(ran);
}

TEST_CASE("suspend outside a fiber, and a fiber resuming itself, are refused") {
    CHECK_THROWS_AS(Fiber::suspend(), std::logic_error);
    Fiber* self = nullptr;
    bool refused = false;
    Fiber fiber(
        [&] {
            try {
                self->resume();
            } catch (const std::logic_error&) {
                refused = true;
            }
        },
        16 * 1024);
    self = &fiber;
    fiber.resume();
    CHECK(refused);
    CHECK(Fiber::current() == nullptr);
}

TEST_CASE("fibers nest: a fiber can resume another, and current() follows") {
    std::vector<std::string> steps;
    Fiber inner(
        [&steps] {
            steps.push_back("inner");
            Fiber::suspend();
            steps.push_back("inner again");
        },
        16 * 1024);
    Fiber* outer_ptr = nullptr;
    Fiber outer(
        [&] {
            inner.resume();
            CHECK(Fiber::current() == outer_ptr);
            steps.push_back("outer");
            Fiber::suspend();
            inner.resume();
        },
        16 * 1024);
    outer_ptr = &outer;
    outer.resume();
    outer.resume();
    CHECK(steps == std::vector<std::string>{"inner", "outer", "inner again"});
    CHECK(inner.finished());
    CHECK(outer.finished());
}

TEST_CASE("a stack is mapped with a guard page below it and touched pages only count once used") {
    const Stack stack(64 * 1024);
    CHECK(stack.size() == 64 * 1024);
    CHECK(static_cast<const char*>(stack.guard()) + page_size() == stack.bottom());
    const std::size_t before = stack.resident_bytes();
    static_cast<char*>(stack.top())[-1] = 1;
    CHECK(stack.resident_bytes() == before + page_size());
}

} // namespace
