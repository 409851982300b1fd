// Watchdog: bounds a whole test case. A runtime that loses a wakeup does not fail, it hangs; the
// watchdog turns that hang into a failure (abort with a message) long before ctest's timeout, so
// every park(), block_on() or join inside a test is a bounded wait.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>

namespace common::test {

class Watchdog {
public:
    explicit Watchdog(std::chrono::seconds limit = std::chrono::seconds(30))
        : thread_([this, limit] {
              std::unique_lock lock(mutex_);
              if (!condition_.wait_for(lock, limit, [this] { return done_; })) {
                  std::fprintf(stderr,
                               "watchdog: the test case did not finish within %lld s "
                               "(a lost wakeup or a hang)\n",
                               static_cast<long long>(limit.count()));
                  std::abort();
              }
          }) {}
    ~Watchdog() {
        {
            std::lock_guard lock(mutex_);
            done_ = true;
        }
        condition_.notify_one();
        thread_.join();
    }
    Watchdog(const Watchdog&) = delete;
    Watchdog& operator=(const Watchdog&) = delete;

private:
    std::mutex mutex_;
    std::condition_variable condition_;
    bool done_ = false;
    std::thread thread_; // last: starts after the members it uses exist
};

} // namespace common::test
