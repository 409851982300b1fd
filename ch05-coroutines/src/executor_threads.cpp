// Implementation of executor_threads.hpp.
#include "executor_threads.hpp"

#include <stdexcept>
#include <thread>

namespace ch05 {

std::string executor_name(std::size_t k) {
    return k == 0 ? "main" : "exec-" + std::to_string(k);
}

std::vector<std::exception_ptr>
run_on_threads(std::size_t count, const std::function<void(std::size_t k)>& run_executor) {
    // Sized before any thread starts: each thread writes only its own element (distinct elements
    // are distinct memory locations, so no lock), and join() orders those writes before the reads
    // of whoever gets the vector back.
    std::vector<std::exception_ptr> failures(count);
    const auto guarded = [&](std::size_t k) noexcept {
        try {
            run_executor(k);
        } catch (...) {
            failures[k] = std::current_exception();
        }
    };

    std::vector<std::thread> threads;
    threads.reserve(count); // so that emplace_back below throws only for a thread it did not start
    for (std::size_t k = 1; k < count; ++k) {
        try {
            threads.emplace_back(guarded, k);
        } catch (...) {
            failures[k] = std::current_exception(); // no thread: that executor fails with this
        }
    }
    if (count > 0) {
        guarded(0);
    }
    // Joined explicitly, every one, whatever happened above: a std::thread destroyed while still
    // joinable would call std::terminate.
    for (std::thread& thread : threads) {
        thread.join();
    }
    return failures;
}

std::string what_of(const std::exception_ptr& error) {
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        return e.what();
    } catch (...) {
        return "unknown exception";
    }
}

void throw_if_any_failed(const std::string& what, const std::vector<std::exception_ptr>& failures) {
    std::string first;
    std::size_t failed = 0;
    for (std::size_t k = 0; k < failures.size(); ++k) {
        if (failures[k]) {
            if (failed++ == 0) {
                first = executor_name(k) + ": " + what_of(failures[k]);
            }
        }
    }
    if (failed == 1) {
        throw std::runtime_error(what + ": " + first);
    }
    if (failed > 1) {
        throw std::runtime_error(what + ": " + first + " (and " + std::to_string(failed - 1) +
                                 " more executor(s) failed)");
    }
}

} // namespace ch05
