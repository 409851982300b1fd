// Implementation of uring_reactor.hpp: the reactor thread's loop — take the queued operations,
// fill their SQEs, enter them together with the wait, hand each completion to its task.
#include "uring_reactor.hpp"

#include <common/error.hpp>

#include <cerrno>
#include <chrono>
#include <sys/eventfd.h>
#include <unistd.h>
#include <utility>

namespace ch04 {
namespace {

// user_data values that are not an Operation's address (an address is never this small).
constexpr std::uint64_t kWakeRead = 1; // the eventfd read that wakes the reactor thread
constexpr std::uint64_t kCancel = 2;   // a cancel's own completion: nothing to do for it

std::uint64_t user_data_of(const Operation* op) {
    return reinterpret_cast<std::uint64_t>(op);
}

// Operations in flight at once can exceed the SQ many times over (10,000 requests each with a
// recv and a timer); the CQ is made large enough for all their completions at once.
constexpr unsigned kSubmissionEntries = 4096;
constexpr unsigned kCompletionEntries = 65536;

} // namespace

UringReactor::UringReactor() : UringReactor(TestHooks{}) {}

UringReactor::UringReactor(TestHooks hooks)
    : hooks_(hooks.at_turn_start ? std::make_unique<const TestHooks>(std::move(hooks)) : nullptr),
      ring_(kSubmissionEntries, kCompletionEntries), wake_fd_(::eventfd(0, EFD_CLOEXEC)) {
    if (!wake_fd_) {
        common::throw_errno("eventfd");
    }
    thread_ = std::thread([this] { run(); });
}

UringReactor::~UringReactor() {
    wake_reactor_thread_for_stop();
    thread_.join();
}

void UringReactor::wake_reactor_thread_for_stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_reactor_thread();
}

void UringReactor::submit(const std::shared_ptr<Operation>& op, const Waker& waker) {
    {
        std::lock_guard op_lock(op->mutex);
        op->done = false;
        op->waker = waker;
    }
    bool wake = false;
    bool failed = false;
    {
        std::lock_guard lock(mutex_);
        failed = failed_;
        if (!failed) {
            pending_.push_back(Pending{op, false});
            in_flight_count_.fetch_add(1, std::memory_order_relaxed);
            wake = std::exchange(sleeping_, false);
        }
    }
    if (failed) {
        // No reactor thread to complete it: complete it here, as failed, so the task is not left
        // waiting forever.
        {
            std::lock_guard op_lock(op->mutex);
            op->done = true;
            op->result = -EIO;
        }
        waker.wake();
        return;
    }
    // Only when the reactor thread is (about to be) asleep: while it is awake it takes the queue
    // at the start of its next turn anyway. This is how many submissions share one system call.
    if (wake) {
        wake_reactor_thread();
    }
}

bool UringReactor::check(Operation& op, const Waker& waker, std::int32_t& result) {
    std::lock_guard lock(op.mutex);
    if (op.done) {
        result = op.result;
        return true;
    }
    if (!op.waker || !op.waker->will_wake(waker)) {
        op.waker = waker; // polled by another task's waker now: wake that one
    }
    return false;
}

void UringReactor::cancel(const std::shared_ptr<Operation>& op) noexcept {
    try {
        bool wake = false;
        {
            std::lock_guard lock(mutex_);
            pending_.push_back(Pending{op, true});
            wake = std::exchange(sleeping_, false);
        }
        if (wake) {
            wake_reactor_thread();
        }
    } catch (...) {
        // Out of memory for the queue: the operation then simply runs to its end. Its buffer is
        // kept alive by the reactor's share either way, which is what matters.
    }
}

void UringReactor::wake_reactor_thread() {
    const std::uint64_t one = 1;
    count_syscalls(1);
    // Cannot fail short of a counter at its maximum, which the reactor's reads prevent.
    [[maybe_unused]] const ssize_t n = ::write(wake_fd_.get(), &one, sizeof one);
}

io_uring_sqe* UringReactor::sqe() {
    for (;;) {
        if (io_uring_sqe* sqe = ring_.next_sqe()) {
            return sqe;
        }
        // The SQ is full: hand it to the kernel now, and take completions if the kernel is out of
        // room for them (submit() then takes nothing).
        const unsigned taken = ring_.submit();
        enters_.store(ring_.enter_calls(), std::memory_order_relaxed);
        if (taken == 0) {
            while (const auto c = ring_.next_completion()) {
                complete(*c);
            }
        }
    }
}

void UringReactor::arm_wake_read() {
    ch02::prep_read(sqe(), wake_fd_.get(), &wake_buffer_, sizeof wake_buffer_, kWakeRead);
    wake_armed_ = true;
}

void UringReactor::take_and_prepare(std::vector<Pending>& batch) {
    for (Pending& p : batch) {
        Operation& op = *p.op;
        const std::uint64_t id = user_data_of(&op);
        if (p.cancel) {
            // Only what is in flight can be cancelled; an operation that completed meanwhile (or
            // was cancelled twice) is simply not found.
            if (submitted_.count(id) != 0) {
                ch02::prep_cancel(sqe(), id, kCancel);
            }
            continue;
        }
        io_uring_sqe* entry = sqe();
        const int fd = op.socket ? op.socket->get() : -1;
        switch (op.kind) {
        case Operation::Kind::Connect:
            ch02::prep_connect(entry, fd, op.address, id);
            break;
        case Operation::Kind::Send:
            ch02::prep_send(entry, fd, op.data.data(), op.data.size(), id);
            break;
        case Operation::Kind::Recv:
            ch02::prep_recv(entry, fd, op.data.data(), op.data.size(), id);
            break;
        case Operation::Kind::Timeout:
            ch02::prep_timeout(entry, op.timeout, id);
            break;
        }
        // The reactor's share: from here until the completion, the kernel may use op's memory.
        submitted_.emplace(id, std::move(p.op));
    }
    batch.clear();
}

void UringReactor::complete(const ch02::Completion& c) {
    if (c.user_data == kWakeRead) {
        wake_armed_ = false;
        return; // re-armed at the top of the next turn
    }
    if (c.user_data == kCancel) {
        return;
    }
    const auto found = submitted_.find(c.user_data);
    if (found == submitted_.end()) {
        return; // cannot happen: every SQE we fill is recorded first
    }
    // Take the reactor's share out of the map: the kernel is done with this operation's memory.
    const std::shared_ptr<Operation> op = std::move(found->second);
    submitted_.erase(found);
    std::optional<Waker> waker;
    {
        std::lock_guard lock(op->mutex);
        op->done = true;
        op->result = c.result;
        waker.swap(op->waker);
    }
    in_flight_count_.fetch_sub(1, std::memory_order_release);
    if (waker) {
        waker->wake(); // outside op->mutex: the woken task may poll at once on another thread
    }
}

void UringReactor::run() {
    using Clock = std::chrono::steady_clock;
    std::vector<Pending> batch;
    bool cancelled_all = false;
    Clock::time_point give_up{};
    try {
        for (;;) {
            if (hooks_) {
                hooks_->at_turn_start();
            }
            bool stopping = false;
            {
                std::lock_guard lock(mutex_);
                batch.swap(pending_);
                stopping = stopping_;
                // From here on a new submission must wake us: we may be asleep by then.
                sleeping_ = true;
            }
            if (!wake_armed_ && !stopping) {
                arm_wake_read();
            }
            take_and_prepare(batch); // 1. every queued operation becomes an SQE
            if (stopping) {
                // Futures must be gone by now; whatever they left in flight (and our own wake
                // read) is cancelled, and we wait for those completions: the memory the kernel
                // writes into is freed only after that.
                if (!cancelled_all) {
                    for (const auto& entry : submitted_) {
                        ch02::prep_cancel(sqe(), entry.first, kCancel);
                    }
                    if (wake_armed_) {
                        ch02::prep_cancel(sqe(), kWakeRead, kCancel);
                    }
                    cancelled_all = true;
                    give_up = Clock::now() + std::chrono::seconds(5);
                }
                if (submitted_.empty() && !wake_armed_) {
                    break;
                }
                if (Clock::now() > give_up) {
                    // The kernel has not answered the cancels in 5 s. Closing the ring does not
                    // wait for it either, so the memory it may still write into is leaked on
                    // purpose rather than freed under it. (Never seen; a bound, not a path.)
                    for (auto& entry : submitted_) {
                        new std::shared_ptr<Operation>(std::move(entry.second));
                    }
                    submitted_.clear();
                    break;
                }
            }
            // 2. one system call: submit the batch, sleep until a completion arrives.
            ring_.submit_and_wait(
                stopping ? std::optional<std::chrono::nanoseconds>(std::chrono::milliseconds(100))
                         : std::nullopt);
            enters_.store(ring_.enter_calls(), std::memory_order_relaxed);
            {
                std::lock_guard lock(mutex_);
                sleeping_ = false;
            }
            // 3. every completion that is there: store the result, wake the task.
            while (const auto c = ring_.next_completion()) {
                complete(*c);
            }
        }
    } catch (const std::exception&) {
        fail_all();
    }
}

void UringReactor::fail_all() {
    // io_uring_enter failed for good. Fail every operation so that no task waits forever, but keep
    // each one in submitted_: the kernel may still write into it, so it lives as long as the
    // reactor does.
    std::vector<Pending> queued;
    {
        std::lock_guard lock(mutex_);
        failed_ = true;
        queued.swap(pending_);
    }
    std::vector<Waker> wakers;
    const auto fail = [&wakers](Operation& op) {
        std::lock_guard lock(op.mutex);
        op.done = true;
        op.result = -EIO;
        if (op.waker) {
            wakers.push_back(*op.waker);
            op.waker.reset();
        }
    };
    for (const auto& entry : submitted_) {
        fail(*entry.second);
    }
    for (const Pending& p : queued) {
        if (!p.cancel) {
            fail(*p.op);
        }
    }
    in_flight_count_.store(0, std::memory_order_release);
    for (const Waker& waker : wakers) {
        waker.wake();
    }
}

} // namespace ch04
