// Implementation of common/resources.hpp.
#include "common/resources.hpp"

#include <stdexcept>
#include <string>
#include <sys/resource.h>

namespace common {

long peak_rss_kib() {
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss; // Linux reports ru_maxrss in KiB
}

std::size_t raise_descriptor_limit() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
        return 0;
    }
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit); // failure leaves the old limit, checked by the caller
        ::getrlimit(RLIMIT_NOFILE, &limit);
    }
    return static_cast<std::size_t>(limit.rlim_cur);
}

void require_descriptors(std::size_t needed, bool embedded_server) {
    const std::size_t limit = raise_descriptor_limit();
    if (needed > limit) {
        std::string advice = "raise the hard limit (ulimit -Hn) or use fewer requests";
        if (embedded_server) {
            advice += ", or use an external server with --server (half the descriptors)";
        }
        throw std::runtime_error("descriptors: need about " + std::to_string(needed) +
                                 ", the limit is " + std::to_string(limit) + " (" + advice + ")");
    }
}

void ThreadGauge::enter() noexcept {
    const int now = current_.fetch_add(1, std::memory_order_relaxed) + 1;
    int seen = peak_.load(std::memory_order_relaxed);
    // Raise the peak to `now` unless another thread already raised it higher.
    while (now > seen && !peak_.compare_exchange_weak(seen, now, std::memory_order_relaxed)) {
    }
}

} // namespace common
