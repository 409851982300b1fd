// Exercise ch01/01, a reference answer: K workers share one counter of "next request to make".
// A worker that finishes a request takes the next index, so the requests go through the pool in
// waves of K, and the run takes about ceil(N / K) times the delay with K stacks instead of N.
#include "thread_pool.hpp"

#include "ch01-threads/src/http_get.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace ch01::exercise {

RunReport fetch_with_pool(const common::Endpoint& server, std::span<const Request> requests,
                          std::size_t workers, std::chrono::milliseconds deadline) {
    if (workers == 0) {
        throw std::invalid_argument("fetch_with_pool: a pool needs at least one worker");
    }
    using Clock = std::chrono::steady_clock;
    const auto start = Clock::now();

    RunReport report;
    std::mutex mutex; // guards report.answers, busy and report.peak_threads
    int busy = 0;
    // The only coordination between the workers: which request is next. fetch_add hands every
    // index to exactly one worker; relaxed is enough, since the requests themselves are read-only
    // and the answers are published under the mutex.
    std::atomic<std::size_t> next{0};

    auto work = [&] {
        for (;;) {
            const std::size_t index = next.fetch_add(1, std::memory_order_relaxed);
            if (index >= requests.size()) {
                return;
            }
            {
                std::lock_guard lock(mutex);
                ++busy;
                report.peak_threads = std::max(report.peak_threads, busy + 1);
            }
            Answer answer;
            answer.index = index;
            try {
                answer.body = http_get(server, requests[index].path(), deadline);
            } catch (...) {
                // An exception must not leave the thread (that would end the program): carry it.
                answer.error = std::current_exception();
            }
            std::lock_guard lock(mutex);
            --busy;
            answer.after =
                std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
            report.answers.push_back(std::move(answer));
        }
    };

    const std::size_t count = std::min(workers, requests.size());
    {
        std::vector<std::jthread> threads; // joined by their destructors, also if one cannot start
        threads.reserve(count);
        for (std::size_t i = 0; i < count; ++i) {
            threads.emplace_back(work);
            ++report.threads_created;
        }
    }
    report.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    return report;
}

} // namespace ch01::exercise
