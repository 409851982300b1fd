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

// A spawned Task as a chapter-4 task: TaskFuture<void>'s job, except that what its poll throws —
// the exception that ended the coroutine (there is no awaiter to take it), or drive() refusing a
// suspension — is reported here. Why not spawn a TaskFuture<void> and let chapter 4's executor
// report it? The executor would print `error: task <id>: <what>` and count it in *that executor*
// (Executor::failed_tasks()); but block_on(task) makes its executor itself, so its caller could
// never ask. Here the failure is named as a spawned task's and counted for the whole process
// (failed_spawned_tasks(), which the demo checks after running its spawned tasks). It has the same
// members as a TaskFuture<void>, so it costs the same: one allocation per spawned task.
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
