// Implementation of executor.hpp: the book's block_on loop, with a report instead of a panic when a
// task fails.
#include "executor.hpp"

#include <common/print.hpp>
#include <common/trace.hpp>

#include <exception>
#include <stdexcept>
#include <utility>

namespace ch04 {
namespace {

// Which executor block_on is running on this thread: what the book keeps in its thread-local
// CURRENT_EXEC. Only this thread reads or writes it, so no synchronisation is needed.
thread_local Executor* current_executor = nullptr;

// Sets current_executor for the duration of block_on, and restores the previous value even when
// block_on throws.
class CurrentGuard {
public:
    explicit CurrentGuard(Executor* executor)
        : previous_(std::exchange(current_executor, executor)) {}
    ~CurrentGuard() { current_executor = previous_; }
    CurrentGuard(const CurrentGuard&) = delete;
    CurrentGuard& operator=(const CurrentGuard&) = delete;

private:
    Executor* previous_;
};

} // namespace

Executor::Executor() : Executor(Options{}) {}

Executor::Executor(Options options) : options_(std::move(options)) {}

Executor::~Executor() = default;

Executor* Executor::current() {
    return current_executor;
}

void Executor::spawn(BoxedFuture task) {
    const TaskId id = next_id_++;
    tasks_.emplace(id, std::move(task));
    // A new task is ready by definition: it has never been polled. Going through the queue (rather
    // than polling it here) keeps spawn cheap and lets the spawning task finish its own poll first.
    ready_->push(id);
}

void Executor::record_failure(TaskId id, const std::string& what) {
    // A failed task is never swallowed: it is counted, its cause kept, and (unless the program
    // reports failures itself) printed at once.
    if (failed_++ == 0) {
        first_failure_ = what;
    }
    if (options_.report_failures) {
        common::eprintln("error: task " + std::to_string(id) + ": " + what);
    }
}

void Executor::block_on(BoxedFuture task) {
    const CurrentGuard guard(this);
    common::trace::name_thread(options_.name); // --trace: this thread's track (common/trace.hpp)
    spawn(std::move(task));

    std::vector<TaskId> ready;
    for (;;) {
        ready_->take_all(ready);
        for (const TaskId id : ready) {
            const auto it = tasks_.find(id);
            if (it == tasks_.end()) {
                // A false wakeup: the task finished (or failed) after this wake was queued — for
                // example, woken by its socket and by its timer in the same round. Nothing to do.
                continue;
            }
            // Polling may spawn, which inserts into tasks_ and may rehash it: a rehash invalidates
            // iterators but not the addresses of the elements, so keep the future's address.
            Future<void>* future = it->second.get();
            bool finished = false;
            common::trace::begin_poll(ready_.get(), id); // --trace: each poll as a span
            try {
                ++polls_;
                finished = future->poll(Waker(ready_, id)).is_ready();
            } catch (const std::exception& e) {
                finished = true;
                record_failure(id, e.what());
            } catch (...) {
                // Not derived from std::exception (`throw 42;`). Without this clause it would
                // escape block_on and take every other task down with it.
                finished = true;
                record_failure(id, "unknown exception");
            }
            common::trace::end_poll("task", id, finished);
            if (finished) {
                tasks_.erase(id);
            }
        }

        if (tasks_.empty()) {
            if (options_.verbose) {
                common::println(options_.name + ": All tasks are finished");
            }
            return;
        }
        // Only park when nothing is queued. If a wake lands between this check and park(), the
        // parker remembers it and park() returns at once (parker.hpp), so it cannot be lost.
        //
        // park() returning does not prove there is work, though: the parker's token may be stale,
        // left by a push we already handled (every spawn and every wake that arrived while we were
        // polling unparks us too). So park again until the queue really holds an id. This cannot
        // lose a wake either: push() queues the id *before* it unparks, so after the wake that
        // matters, empty() is false.
        if (ready_->empty()) {
            if (options_.verbose) {
                common::println(options_.name + ": " + std::to_string(tasks_.size()) +
                                " pending tasks. Sleep until notified.");
            }
            do {
                ready_->park();
            } while (ready_->empty());
        }
    }
}

void spawn(BoxedFuture task) {
    Executor* executor = Executor::current();
    if (executor == nullptr) {
        throw std::logic_error("ch04::spawn called outside Executor::block_on");
    }
    executor->spawn(std::move(task));
}

} // namespace ch04
