// Implementation of request_runners.hpp: the sequential loop and the thread-per-request runner.
#include "request_runners.hpp"

#include "http_get.hpp"

#include <common/http.hpp>
#include <common/resources.hpp>

#include <mutex>
#include <string>
#include <system_error>
#include <thread>

namespace ch01 {
namespace {

using Clock = std::chrono::steady_clock;

std::chrono::milliseconds since(Clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

} // namespace

std::string Request::path() const {
    return common::delay_path(delay_ms, message);
}

void RunReport::rethrow_first_error() const {
    for (const Answer& answer : answers) {
        if (!answer.ok()) {
            std::rethrow_exception(answer.error);
        }
    }
}

RunReport fetch_sequentially(const common::Endpoint& server, std::span<const Request> requests,
                             std::chrono::milliseconds deadline, const AnswerCallback& on_answer) {
    RunReport report;
    const auto start = Clock::now();
    for (std::size_t i = 0; i < requests.size(); ++i) {
        // The whole story of blocking I/O in one line: this thread can do nothing else until the
        // answer is in. An exception leaves the loop, and the function, at once.
        std::string body = http_get(server, requests[i].path(), deadline);
        Answer answer{i, std::move(body), nullptr, since(start)};
        if (on_answer) {
            on_answer(answer);
        }
        report.answers.push_back(std::move(answer));
    }
    report.elapsed = since(start);
    return report;
}

RunReport fetch_with_threads(const common::Endpoint& server, std::span<const Request> requests,
                             std::chrono::milliseconds deadline, const AnswerCallback& on_answer) {
    RunReport report;
    std::mutex mutex;          // guards report.answers and serialises on_answer
    common::ThreadGauge gauge; // how many request threads are working at once
    report.answers.reserve(requests.size());
    const auto start = Clock::now();
    {
        // std::jthread rather than std::thread: one that is still joinable when destroyed is
        // joined, not std::terminate'd. That is the safety net for an exception leaving this
        // block; the joins themselves are written out below, in creation order. (The standard
        // does not say in which order a vector destroys its elements, so relying on the
        // destructors would leave the order unspecified.) If creating thread k throws (the
        // system is out of threads), the k threads already running are joined and the exception
        // goes on to the caller, naming the request it was for. (This chapter's load mode goes
        // further: it stops creating threads but lets the started requests finish; see load.hpp.)
        std::vector<std::jthread> threads;
        const auto join_all_threads = [&threads] {
            for (std::jthread& thread : threads) {
                thread.join(); // an early finisher costs nothing: the slowest request decides
            }
        };
        threads.reserve(requests.size());
        for (std::size_t i = 0; i < requests.size(); ++i) {
            // Captures: `requests`, `server`, `mutex`, `report` and `gauge` outlive every thread,
            // because the threads are joined at the end of this block, before any of them is
            // destroyed. `i` is captured by value: the loop moves on while the thread runs.
            auto request_thread = [&, i] {
                const common::ThreadGauge::Scope working(gauge);
                Answer answer{i, {}, nullptr, {}};
                try {
                    answer.body = http_get(server, requests[i].path(), deadline);
                } catch (...) {
                    // Nothing may escape a thread's function (that would be std::terminate), so
                    // the failure travels to the caller inside the answer.
                    answer.error = std::current_exception();
                }
                answer.after = since(start);
                const std::lock_guard lock(mutex);
                if (on_answer) {
                    try {
                        on_answer(answer);
                    } catch (...) {
                        if (answer.ok()) {
                            // A failed answer has no body, as Answer promises.
                            answer.error = std::current_exception();
                            answer.body.clear();
                        }
                    }
                }
                // Cannot throw: the capacity was reserved before any thread started.
                report.answers.push_back(std::move(answer));
            };
            try {
                threads.emplace_back(std::move(request_thread));
            } catch (const std::system_error& e) {
                join_all_threads(); // the started requests finish before the error is reported
                // On its own the error says only "Resource temporarily unavailable"; add which
                // request's thread it was. The error code is kept (EAGAIN: out of threads).
                throw std::system_error(e.code(), "thread for request " + std::to_string(i));
            }
            ++report.threads_created;
        }
        join_all_threads();
    }
    report.elapsed = since(start);
    // The gauge counts only request threads; the thread that called us was waiting in join, but
    // it is a thread of this design all the same, so it is counted too (`threads=` in load mode's
    // summary line counts the main thread as well).
    report.peak_threads = gauge.peak() + 1;
    return report;
}

} // namespace ch01
