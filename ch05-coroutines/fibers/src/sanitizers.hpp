// What AddressSanitizer and ThreadSanitizer must be told about a context switch. Both keep
// per-stack state (ASan: the bounds of the stack in use, to tell stack from heap; TSan: a
// "current thread" with its own history). A hand-written switch changes the stack behind their
// backs, so fiber.cpp announces each switch through these functions. Without a sanitizer they
// compile to nothing.
#pragma once

#include <cstddef>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CH05_FIBERS_ASAN 1
#endif
#if __has_feature(thread_sanitizer)
#define CH05_FIBERS_TSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define CH05_FIBERS_ASAN 1
#endif
#if defined(__SANITIZE_THREAD__)
#define CH05_FIBERS_TSAN 1
#endif

#if defined(CH05_FIBERS_ASAN)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#if defined(CH05_FIBERS_TSAN)
#include <sanitizer/tsan_interface.h>
#endif

namespace ch05::fibers::sanitizers {

// ASan: call just before switching to the stack [bottom, bottom + size). `fake_stack` receives
// the leaving side's state (nullptr when the leaving side will never run again, so ASan may free
// it).
inline void start_switch([[maybe_unused]] void** fake_stack, [[maybe_unused]] const void* bottom,
                         [[maybe_unused]] std::size_t size) {
#if defined(CH05_FIBERS_ASAN)
    __sanitizer_start_switch_fiber(fake_stack, bottom, size);
#endif
}

// ASan: call first thing after arriving on a stack, with what start_switch saved for it. Reports
// the bounds of the stack we came from (either pointer may be nullptr).
inline void finish_switch([[maybe_unused]] void* fake_stack,
                          [[maybe_unused]] const void** from_bottom,
                          [[maybe_unused]] std::size_t* from_size) {
#if defined(CH05_FIBERS_ASAN)
    __sanitizer_finish_switch_fiber(fake_stack, from_bottom, from_size);
#endif
}

// ASan: forget what is recorded about the stack [bottom, bottom + size) — the red zones of frames
// that never returned — before another fiber runs on it (stack_pool.hpp).
inline void forget_stack([[maybe_unused]] const void* bottom, [[maybe_unused]] std::size_t size) {
#if defined(CH05_FIBERS_ASAN)
    __asan_unpoison_memory_region(bottom, size);
#endif
}

// TSan: a fiber's identity. Create one per fiber, switch to it just before the switch, destroy it
// once the fiber has finished and we are no longer on it.
inline void* tsan_create() {
#if defined(CH05_FIBERS_TSAN)
    return __tsan_create_fiber(0);
#else
    return nullptr;
#endif
}
inline void* tsan_current() {
#if defined(CH05_FIBERS_TSAN)
    return __tsan_get_current_fiber();
#else
    return nullptr;
#endif
}
inline void tsan_switch_to([[maybe_unused]] void* fiber) {
#if defined(CH05_FIBERS_TSAN)
    __tsan_switch_to_fiber(fiber, 0);
#endif
}
inline void tsan_destroy([[maybe_unused]] void* fiber) {
#if defined(CH05_FIBERS_TSAN)
    __tsan_destroy_fiber(fiber);
#endif
}

} // namespace ch05::fibers::sanitizers
