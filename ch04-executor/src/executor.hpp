// Executor: the half of the runtime that runs tasks. It owns top-level futures (tasks), polls the
// ones whose ids are on its ready queue, and parks its thread when none are (book ch. 8). One
// executor per thread; several executors on several threads can share one Reactor
// (d-multiple-threads), because all that crosses threads is a Waker.
//
//     Executor executor;                        // on the thread that will run it
//     executor.block_on(make_main_task());      // returns when every task has finished
//
// Inside a task, ch04::spawn(future) adds a task to the executor running on this thread, as the
// book's runtime::spawn does.
#pragma once

#include "future.hpp"
#include "waker.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace ch04 {

// A task as the executor holds it: a top-level future on the heap, where it keeps its address for
// its whole life (future.hpp says why it must). The book's Pin<Box<dyn Future<Output = ()>>>.
using BoxedFuture = std::unique_ptr<Future<void>>;

class Executor {
public:
    struct Options {
        std::string name = "main"; // printed in "<name>: 3 pending tasks. Sleep until notified."
        bool verbose = true;       // print those lines (load mode turns them off)
        // Print `error: task <id>: <what>` for each task whose poll throws. A program that reports
        // failures itself (one `error:` line for the whole run) turns it off and asks
        // first_failure() afterwards.
        bool report_failures = true;
    };

    Executor();
    explicit Executor(Options options);
    // Destroys the tasks that never finished (each exactly once).
    ~Executor();
    Executor(const Executor&) = delete;
    Executor& operator=(const Executor&) = delete;

    // Adds a task; it is polled for the first time by block_on. Callable from this executor's
    // thread only (tasks on other threads use their own executor).
    void spawn(BoxedFuture task);

    // Spawns `task` and runs until *every* task — this one and those spawned meanwhile — has
    // finished, as the book's block_on does. An exception thrown by a task's poll is reported on
    // stderr (`error: task <id>: <what>`, or `unknown exception` for one not derived from
    // std::exception) and that task is dropped; the others keep running.
    void block_on(BoxedFuture task);

    // Statistics for the load mode and tests.
    std::uint64_t polls() const { return polls_; }
    std::uint64_t failed_tasks() const { return failed_; }
    // What the first failed task threw ("" when none failed).
    const std::string& first_failure() const { return first_failure_; }
    std::size_t pending_tasks() const { return tasks_.size(); }

    // The executor whose block_on is running on this thread, or nullptr.
    static Executor* current();

private:
    void record_failure(TaskId id, const std::string& what);

    Options options_;
    // Tasks by id. Each is a BoxedFuture (a unique_ptr) because futures of many types share the
    // map and a Future can be neither copied nor moved (future.hpp says why).
    std::unordered_map<TaskId, BoxedFuture> tasks_;
    std::shared_ptr<ReadyQueue> ready_ = std::make_shared<ReadyQueue>();
    TaskId next_id_ = 1;
    std::uint64_t polls_ = 0;
    std::uint64_t failed_ = 0;
    std::string first_failure_;
};

// Spawns `task` on the executor running on this thread (Executor::current()). Throws
// std::logic_error when called outside a block_on.
void spawn(BoxedFuture task);

// Builds a task from a future type: spawn(make_task<MyFuture>(args...)).
template <class F, class... Args>
BoxedFuture make_task(Args&&... args) {
    return std::make_unique<F>(std::forward<Args>(args)...);
}

} // namespace ch04
