// ch05-fibers-switch-cost: what one switch costs, measured. Times a million round trips of
//   - fiber_switch alone (switch.S: into a context and back),
//   - Fiber::resume + Fiber::suspend (the switch plus fiber.cpp's bookkeeping), and
//   - a C++20 coroutine's resume + suspend (a coroutine that suspends in a loop),
// and prints nanoseconds per round trip and per switch. Then it times a fiber's whole life
// (created, run to its end, destroyed) with and without StackPool (stack_pool.hpp). Not a test:
// build it in Release
// (`cmake --preset release && cmake --build --preset release --target ch05-fibers-switch-cost`)
// and run it on a quiet machine; fibers/README.md quotes its output.
#include "ch05-coroutines/fibers/src/context.hpp"
#include "ch05-coroutines/fibers/src/fiber.hpp"
#include "ch05-coroutines/fibers/src/stack.hpp"
#include "ch05-coroutines/fibers/src/stack_pool.hpp"

#include <chrono>
#include <coroutine>
#include <cstdio>
#include <cstring>
#include <exception>

namespace {

using namespace ch05::fibers;
using Clock = std::chrono::steady_clock;

constexpr long kRoundTrips = 1'000'000;

double ns_per(Clock::duration elapsed, long count) {
    return std::chrono::duration<double, std::nano>(elapsed).count() / static_cast<double>(count);
}

// A coroutine that suspends forever, one co_await per resume: the smallest resume/suspend pair.
struct Looper {
    struct promise_type {
        Looper get_return_object() {
            return Looper{std::coroutine_handle<promise_type>::from_promise(*this)};
        }
        std::suspend_always initial_suspend() noexcept { return {}; }
        std::suspend_always final_suspend() noexcept { return {}; }
        void return_void() {}
        void unhandled_exception() { std::terminate(); }
    };
    std::coroutine_handle<promise_type> handle;
};

Looper loop_forever(long& counter) {
    for (;;) {
        ++counter;
        co_await std::suspend_always{};
    }
}

// Raw switching: main and one context that switches straight back, forever.
Context main_side;
Context bounce_side;
void bounce(void*) {
    for (;;) {
        fiber_switch(&bounce_side, &main_side);
    }
}

constexpr long kLives = 100'000;

// Nanoseconds per fiber for kLives fibers, one after another, each created, run to its end (its
// body touches 2 KiB of its stack, about what a request fiber uses) and destroyed, with the shared
// StackPool keeping at most `pool_capacity` stacks.
double fiber_lifetime_ns(std::size_t pool_capacity) {
    StackPool::shared().set_capacity(pool_capacity);
    long sum = 0;
    const auto start = Clock::now();
    for (long i = 0; i < kLives; ++i) {
        Fiber fiber(
            [&sum] {
                volatile char frame[2048];
                std::memset(const_cast<char*>(frame), 1, sizeof frame);
                sum += frame[100];
            },
            64 * 1024);
        fiber.resume();
    }
    const double ns = ns_per(Clock::now() - start, kLives);
    if (sum != kLives) {
        std::printf("(unexpected sum %ld)\n", sum);
    }
    return ns;
}

} // namespace

int main() {
    // fiber_switch alone.
    const Stack stack(64 * 1024);
    prepare_context(bounce_side, stack.top(), &bounce, nullptr);
    auto start = Clock::now();
    for (long i = 0; i < kRoundTrips; ++i) {
        fiber_switch(&main_side, &bounce_side);
    }
    const double raw = ns_per(Clock::now() - start, kRoundTrips);

    // Fiber::resume + Fiber::suspend.
    long fiber_counter = 0;
    Fiber fiber(
        [&fiber_counter] {
            for (;;) {
                ++fiber_counter;
                Fiber::suspend();
            }
        },
        64 * 1024);
    start = Clock::now();
    for (long i = 0; i < kRoundTrips; ++i) {
        fiber.resume();
    }
    const double fibers = ns_per(Clock::now() - start, kRoundTrips);

    // A coroutine's resume + suspend.
    long coroutine_counter = 0;
    const Looper looper = loop_forever(coroutine_counter);
    start = Clock::now();
    for (long i = 0; i < kRoundTrips; ++i) {
        looper.handle.resume();
    }
    const double coroutine = ns_per(Clock::now() - start, kRoundTrips);
    looper.handle.destroy();

    std::printf("round trips: %ld each (a round trip is two switches: there and back)\n",
                kRoundTrips);
    std::printf("fiber_switch alone:           %6.1f ns per round trip, %5.1f ns per switch\n", raw,
                raw / 2);
    std::printf("Fiber resume + suspend:       %6.1f ns per round trip, %5.1f ns per switch\n",
                fibers, fibers / 2);
    std::printf("coroutine resume + suspend:   %6.1f ns per round trip, %5.1f ns per switch\n",
                coroutine, coroutine / 2);
    std::printf("(counters: %ld %ld)\n", fiber_counter, coroutine_counter);

    const double unpooled = fiber_lifetime_ns(0);
    const double pooled = fiber_lifetime_ns(StackPool::kDefaultCapacity);
    std::printf("\nfiber lives: %ld each (create a fiber with a 64 KiB stack, run it to its end, "
                "destroy it)\n",
                kLives);
    std::printf("without the stack pool:       %6.0f ns per fiber (mmap, mprotect, a page fault, "
                "munmap)\n",
                unpooled);
    std::printf("with the stack pool:          %6.0f ns per fiber (the last fiber's stack again)\n",
                pooled);
    return 0;
}
