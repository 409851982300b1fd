// A type that counts its constructions and destructions, so a test can prove that an object held
// by a future, a task or a coroutine frame is destroyed exactly once, and none is left alive.
#pragma once

#include <atomic>

namespace common::test {

class Counted {
public:
    Counted() noexcept { constructed_.fetch_add(1); }
    Counted(const Counted&) noexcept { constructed_.fetch_add(1); }
    Counted(Counted&&) noexcept { constructed_.fetch_add(1); }
    Counted& operator=(const Counted&) = default;
    Counted& operator=(Counted&&) = default;
    ~Counted() { destroyed_.fetch_add(1); }

    static void reset() noexcept {
        constructed_.store(0);
        destroyed_.store(0);
    }
    static int constructed() noexcept { return constructed_.load(); }
    static int destroyed() noexcept { return destroyed_.load(); }
    static int alive() noexcept { return constructed() - destroyed(); }

private:
    // Sequentially consistent on purpose: tests read them from another thread than the one that
    // destroyed the object, and simplicity beats speed here.
    static inline std::atomic<int> constructed_{0};
    static inline std::atomic<int> destroyed_{0};
};

} // namespace common::test
