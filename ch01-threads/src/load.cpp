// Implementation of load.hpp: spawn N request threads with small stacks, stop spawning at the first
// creation failure, join, summarise.
#include "load.hpp"

#include "http_get.hpp"
#include "thread_cost.hpp"

#include <common/resources.hpp>

#include <exception>
#include <string>
#include <system_error>
#include <vector>

namespace ch01 {
namespace {

long to_ms(std::chrono::steady_clock::duration d) {
    return static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

} // namespace

common::Summary run_load(const LoadPlan& plan, common::LoadTally& tally) {
    using Clock = std::chrono::steady_clock;
    common::ThreadGauge gauge;
    // Built before the clock starts, so the paths' allocation is not in the measured time.
    std::vector<std::string> paths;
    paths.reserve(plan.requests);
    for (std::size_t i = 0; i < plan.requests; ++i) {
        paths.push_back(common::load_path(plan.delay_ms, i));
    }

    // Starts just before the first thread, whose first act is its connect: "from the first
    // connect" to within a thread's creation time.
    const auto start = Clock::now();
    auto all_started = start; // when the spawning loop ended: its length is the creation cost
    {
        // Declared inside the block so that, if anything below throws, leaving it still joins
        // every thread (SmallStackThread joins in its destructor). On the normal path the joins
        // are written out after the loop, in creation order.
        std::vector<SmallStackThread> threads;
        threads.reserve(plan.requests);
        for (std::size_t i = 0; i < plan.requests; ++i) {
            try {
                // `plan`, `paths`, `tally` and `gauge` are captured by reference: they outlive
                // every thread, which is joined before this block ends.
                threads.emplace_back(plan.stack_bytes, [&, i]() noexcept {
                    const common::ThreadGauge::Scope working(gauge);
                    try {
                        tally.check(i, http_get_raw(plan.server, paths[i], plan.deadline));
                    } catch (const std::exception& e) {
                        tally.fail(i, e.what()); // connect refused, timed out, reset, ...
                    }
                });
            } catch (const std::system_error& e) {
                // Out of threads (EAGAIN: RLIMIT_NPROC, kernel.threads-max, the cgroup's
                // pids.max, or no memory for another stack). Starting more would only fail the
                // same way, so stop here and let the running ones finish.
                tally.fail(i, "not started, nor the " + std::to_string(plan.requests - i - 1) +
                                  " after it: could not create thread " + std::to_string(i + 1) +
                                  " of " + std::to_string(plan.requests) + ": " + e.what() +
                                  " (a thread or memory limit; try a smaller --stack-kib, or "
                                  "check `ulimit -u`, `ulimit -v` and kernel.threads-max)");
                break;
            }
        }
        all_started = Clock::now();
        for (SmallStackThread& thread : threads) {
            thread.join();
        }
    }
    const auto elapsed = Clock::now() - start;

    common::Summary summary;
    summary.chapter = "ch01";
    summary.requests = plan.requests;
    summary.delay_ms = plan.delay_ms;
    summary.ok = tally.ok();
    summary.elapsed_ms = to_ms(elapsed);
    summary.peak_rss_kib = common::peak_rss_kib();
    summary.threads = gauge.peak() + 1; // + the main thread, which spawned and joined them
    summary.extra = {{"spawn_ms", std::to_string(to_ms(all_started - start))},
                     {"stack_kib", std::to_string(plan.stack_bytes / 1024)},
                     {"vm_peak_kib", std::to_string(vm_peak_kib())}};
    return summary;
}

} // namespace ch01
