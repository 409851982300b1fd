// Implementation of spawn.hpp: the adapter that makes a detached coroutine a chapter-4 task.
#include "spawn.hpp"

#include <common/print.hpp>

#include <atomic>
#include <string>

namespace ch05 {
namespace {

// Relaxed: a statistic, read after the executors that update it have been joined (join orders it).
std::atomic<std::uint64_t> failed_spawned{0};

void report(const std::string& what) {
    failed_spawned.fetch_add(1, std::memory_order_relaxed);
    common::eprintln("error: spawned task: " + what);
}

// A spawned Task as a chapter-4 task: TaskFuture<void>'s job, except that an exception ending the
// coroutine is reported here instead of travelling to an awaiter (there is none). It holds the
// Task and the TaskContext itself rather than a TaskFuture, to stay one small allocation: 10,000
// spawned tasks means 10,000 of these.
class SpawnedTask final : public ch04::Future<void> {
public:
    explicit SpawnedTask(Task<void> task) : task_(std::move(task)) {
        detail::start(task_, context_);
    }

    ch04::PollState<void> poll(const ch04::Waker& waker) override {
        try {
            const auto handle = detail::TaskAccess::handle(task_);
            if (!detail::drive(handle, context_, waker)) {
                return ch04::PollState<void>::not_ready();
            }
            handle.promise().take_result();
        } catch (const std::exception& e) {
            report(e.what());
        } catch (...) {
            report("unknown exception");
        }
        return ch04::PollState<void>::ready(); // finished, well or badly: the executor drops it
    }

private:
    Task<void> task_;
    TaskContext context_;
};

} // namespace

void spawn(Task<void> task) {
    if (ch04::Executor::current() == nullptr) {
        throw std::logic_error("ch05::spawn called outside block_on");
    }
    ch04::spawn(std::make_unique<SpawnedTask>(std::move(task)));
}

std::uint64_t failed_spawned_tasks() {
    return failed_spawned.load(std::memory_order_relaxed);
}

} // namespace ch05
