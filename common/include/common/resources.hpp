// What a run costs: peak memory (getrusage), threads doing the work, and the descriptor limit that
// decides how many connections a process may hold.
#pragma once

#include <atomic>
#include <cstddef>

namespace common {

// Peak resident set size of this process so far, in KiB (ru_maxrss).
long peak_rss_kib();

// Raises the soft RLIMIT_NOFILE to the hard limit and returns the new soft limit.
std::size_t raise_descriptor_limit();

// Throws std::runtime_error("descriptors: need N, the limit is M (...)") when `needed` descriptors
// will not fit under the (raised) limit. Programs call it before they start a load run;
// `embedded_server` adds the advice to use an external server (which halves the need).
void require_descriptors(std::size_t needed, bool embedded_server = false);

// Counts threads that are doing a chapter's work, and the most there ever were at once. A worker
// holds a ThreadGauge::Scope for as long as it works.
class ThreadGauge {
public:
    class Scope {
    public:
        explicit Scope(ThreadGauge& gauge) : gauge_(gauge) { gauge_.enter(); }
        ~Scope() { gauge_.leave(); }
        Scope(const Scope&) = delete;
        Scope& operator=(const Scope&) = delete;

    private:
        ThreadGauge& gauge_;
    };

    void enter() noexcept;
    void leave() noexcept { current_.fetch_sub(1, std::memory_order_relaxed); }
    int peak() const noexcept { return peak_.load(std::memory_order_relaxed); }

private:
    // Relaxed is enough: these are statistics read after the workers are joined (join orders it).
    std::atomic<int> current_{0};
    std::atomic<int> peak_{0};
};

} // namespace common
