// Implementation of uring_reactor.hpp: the reactor thread's loop — take the queued operations,
// fill their SQEs, enter them together with the wait, hand each completion to its task.
#include "uring_reactor.hpp"

#include <common/error.hpp>
#include <common/trace.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <sys/eventfd.h>
#include <sys/socket.h>
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

// The buffer group of the pool (any number: this ring has only one).
constexpr std::uint16_t kBufferGroup = 0;

// The pool's receives are multishot (Linux 6.0): refuse an older kernel up front, clearly, rather
// than fail every receive with -EINVAL. No fallback to one buffer per receive: that is the design
// this reactor exists to replace.
ch02::Ring& require_multishot_recv(ch02::Ring& ring) {
    ch02::require_multishot_recv();
    return ring;
}

} // namespace

UringReactor::UringReactor() : UringReactor(BufferPoolSize{}, TestHooks{}) {}

UringReactor::UringReactor(TestHooks hooks) : UringReactor(BufferPoolSize{}, std::move(hooks)) {}

UringReactor::UringReactor(BufferPoolSize pool, TestHooks hooks)
    : hooks_(hooks.at_turn_start ? std::make_unique<const TestHooks>(std::move(hooks)) : nullptr),
      ring_(kSubmissionEntries, kCompletionEntries),
      buffers_(require_multishot_recv(ring_), kBufferGroup, pool.count, pool.bytes),
      wake_fd_(::eventfd(0, EFD_CLOEXEC)) {
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
    submit_chain({op}, waker);
}

void UringReactor::submit_chain(std::initializer_list<std::shared_ptr<Operation>> chain,
                                const Waker& waker) {
    for (const auto& op : chain) {
        std::lock_guard op_lock(op->mutex);
        op->done = false;
        op->waker = waker;
    }
    bool wake = false;
    bool failed = false;
    {
        // One lock for the whole chain: its SQEs must follow each other, with no other thread's
        // operation in between (it would become a step of the chain).
        std::lock_guard lock(mutex_);
        failed = failed_;
        if (!failed) {
            std::size_t left = chain.size();
            for (const auto& op : chain) {
                pending_.push_back(Pending{.op = op, .cancel = false, .link_next = --left > 0});
            }
            in_flight_count_.fetch_add(chain.size(), std::memory_order_relaxed);
            wake = std::exchange(sleeping_, false);
        }
    }
    if (failed) {
        // No reactor thread to complete them: complete them here, as failed, so the task is not
        // left waiting forever.
        for (const auto& op : chain) {
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

bool UringReactor::take(Operation& op, const Waker& waker, std::vector<ReceivedBuffer>& chunks,
                        std::int32_t& result) {
    std::lock_guard lock(op.mutex);
    for (ReceivedBuffer& chunk : op.received) {
        chunks.push_back(std::move(chunk));
    }
    op.received.clear();
    if (op.done) {
        result = op.result;
        return true;
    }
    if (!op.waker || !op.waker->will_wake(waker)) {
        op.waker = waker;
    }
    return false;
}

void UringReactor::cancel(const std::shared_ptr<Operation>& op) noexcept {
    try {
        bool wake = false;
        {
            std::lock_guard lock(mutex_);
            pending_.push_back(Pending{.op = op, .cancel = true});
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

// The pool's one race. A receive parks when the pool is empty (complete(): starved_count_ store),
// and is submitted again at the start of a turn when a buffer is back (buffers_out_ load). A buffer
// given back on another thread in between must not go unnoticed while the reactor thread sleeps.
// Both sides write their own atomic, then read the other's, all seq_cst: of two such pairs at least
// one side sees the other's write. Either the reactor thread sees the buffer back and re-arms, or
// this thread sees a starving receive and wakes the reactor thread (whose next turn then does).
void UringReactor::give_back(std::uint16_t id) noexcept {
    {
        std::lock_guard lock(buffers_mutex_);
        buffers_.give_back(id);
    }
    buffers_out_.fetch_sub(1, std::memory_order_seq_cst);
    if (starved_count_.load(std::memory_order_seq_cst) == 0) {
        return;
    }
    bool wake = false;
    {
        std::lock_guard lock(mutex_);
        wake = std::exchange(sleeping_, false);
    }
    if (wake) {
        wake_reactor_thread();
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

void UringReactor::reserve(unsigned n) {
    while (ring_.space() < n) {
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

void UringReactor::rearm(std::vector<Pending>& batch) {
    for (auto& op : resubmit_) {
        batch.push_back(Pending{.op = std::move(op)});
    }
    resubmit_.clear();
    // Seq_cst: the other half of give_back's pair (see there).
    if (!starved_.empty() && buffers_out_.load(std::memory_order_seq_cst) < buffers_.count()) {
        for (auto& op : starved_) {
            batch.push_back(Pending{.op = std::move(op)});
        }
        starved_.clear();
        starved_count_.store(0, std::memory_order_seq_cst);
    }
}

void UringReactor::take_and_prepare(std::vector<Pending>& batch) {
    for (std::size_t i = 0; i < batch.size(); ++i) {
        if (batch[i].link_next) {
            // A chain goes into the SQ whole, never split between two submissions.
            std::size_t length = 1;
            while (batch[i + length - 1].link_next) {
                ++length;
            }
            reserve(static_cast<unsigned>(length));
            for (std::size_t end = i + length; i < end; ++i) {
                prepare(batch[i]);
            }
            --i;
            continue;
        }
        prepare(batch[i]);
    }
    batch.clear();
}

void UringReactor::prepare(Pending& p) {
    Operation& op = *p.op;
    const std::uint64_t id = user_data_of(&op);
    if (p.cancel) {
        // Only what is in flight can be cancelled; an operation that completed meanwhile (or was
        // cancelled twice) is simply not found. A receive parked for want of a buffer is not in
        // the kernel at all: it ends here.
        if (submitted_.count(id) != 0) {
            ch02::prep_cancel(sqe(), id, kCancel);
            return;
        }
        for (auto* parked : {&starved_, &resubmit_}) {
            if (const auto it = std::find(parked->begin(), parked->end(), p.op);
                it != parked->end()) {
                parked->erase(it);
                starved_count_.store(starved_.size(), std::memory_order_seq_cst);
                finish_cancelled(p.op);
                return;
            }
        }
        return;
    }
    io_uring_sqe* entry = sqe();
    const int fd = op.socket ? op.socket->get() : -1;
    switch (op.kind) {
    case Operation::Kind::Connect:
        ch02::prep_connect(entry, fd, op.address, id);
        break;
    case Operation::Kind::Send:
        ch02::prep_send(entry, fd, op.request.data(), op.request.size(), id);
        // All of it or a failure: the kernel sends the rest itself after a short send, and a send
        // that still falls short breaks the chain instead of leaving the receive to wait for an
        // answer to half a request.
        entry->msg_flags |= MSG_WAITALL;
        break;
    case Operation::Kind::Recv:
        ch02::prep_recv_multishot(entry, fd, buffers_.group(), id);
        break;
    case Operation::Kind::Timeout:
        ch02::prep_timeout(entry, op.timeout, id);
        break;
    }
    if (p.link_next) {
        ch02::link_to_next(entry);
    }
    // The reactor's share: from here until the completion, the kernel may use op's memory.
    submitted_.emplace(id, std::move(p.op));
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
    const std::shared_ptr<Operation> op = found->second;
    // IORING_CQE_F_MORE: a multishot receive goes on, and more completions will follow.
    const bool last = (c.flags & IORING_CQE_F_MORE) == 0;
    if (last) {
        // Take the reactor's share out of the map: the kernel is done with this operation.
        submitted_.erase(found);
    }
    std::optional<ReceivedBuffer> chunk;
    if ((c.flags & IORING_CQE_F_BUFFER) != 0) {
        // From here the buffer is the program's, until the ReceivedBuffer is destroyed.
        const auto id = static_cast<std::uint16_t>(c.flags >> IORING_CQE_BUFFER_SHIFT);
        buffers_out_.fetch_add(1, std::memory_order_seq_cst);
        chunk.emplace(*this, id,
                      buffers_.bytes(id, static_cast<std::size_t>(std::max(c.result, 0))));
    }
    // Not the end of the stream: the kernel stopped the receive, and we start it again.
    const bool stopped_early =
        last && op->kind == Operation::Kind::Recv && (c.result == -ENOBUFS || c.result > 0);
    if (stopped_early) {
        // -ENOBUFS: the pool was empty when data arrived (the data waits in the socket); park the
        // receive until a buffer comes back. A last completion with data: the kernel ended the
        // multishot early (it may, e.g. when the CQ overflows); submit it again at once.
        if (c.result == -ENOBUFS) {
            buffer_waits_.fetch_add(1, std::memory_order_relaxed);
            starved_.push_back(op);
            // Seq_cst: the other half of give_back's pair (see there).
            starved_count_.store(starved_.size(), std::memory_order_seq_cst);
        } else {
            resubmit_.push_back(op);
        }
        if (!chunk) {
            return;
        }
    }
    const bool finished = last && !stopped_early;
    std::optional<Waker> waker;
    {
        std::lock_guard lock(op->mutex);
        if (chunk) {
            op->received.push_back(std::move(*chunk));
        }
        if (finished) {
            op->done = true;
            op->result = c.result;
        }
        // A quiet step's success needs no decision of its task: the next step just starts.
        if (!op->quiet || c.result < 0) {
            waker.swap(op->waker);
        } else if (finished) {
            op->waker.reset();
        }
    }
    if (finished) {
        in_flight_count_.fetch_sub(1, std::memory_order_release);
    }
    if (waker) {
        waker->wake(); // outside op->mutex: the woken task may poll at once on another thread
    }
}

void UringReactor::finish_cancelled(const std::shared_ptr<Operation>& op) {
    std::optional<Waker> waker;
    {
        std::lock_guard lock(op->mutex);
        op->done = true;
        op->result = -ECANCELED;
        waker.swap(op->waker);
    }
    in_flight_count_.fetch_sub(1, std::memory_order_release);
    if (waker) {
        waker->wake();
    }
}

void UringReactor::run() {
    using Clock = std::chrono::steady_clock;
    std::vector<Pending> again;
    std::vector<Pending> batch;
    bool cancelled_all = false;
    Clock::time_point give_up{};
    common::trace::name_thread("reactor"); // --trace: this thread's track (common/trace.hpp)
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
            if (!stopping) {
                rearm(again);            // 0. receives the kernel stopped, submitted again
                take_and_prepare(again); //    (before the batch: it may hold their cancels)
            }
            take_and_prepare(batch); // 1. every queued operation becomes an SQE
            if (stopping) {
                // Futures must be gone by now; whatever they left in flight (and our own wake
                // read) is cancelled, and we wait for those completions: the memory the kernel
                // reads or writes is freed only after that. Parked receives are not in the kernel.
                for (const auto& parked :
                     {std::exchange(starved_, {}), std::exchange(resubmit_, {})}) {
                    for (const auto& op : parked) {
                        finish_cancelled(op);
                    }
                }
                starved_count_.store(0, std::memory_order_seq_cst);
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
            // 2. one system call: submit the batch, sleep until a completion arrives. Not at all
            // when there is work already: a receive kept from the kernel by an empty pool, whose
            // buffer came back while this turn ran.
            std::optional<std::chrono::nanoseconds> timeout;
            if (stopping) {
                timeout = std::chrono::milliseconds(100);
            } else if (!resubmit_.empty() ||
                       (!starved_.empty() &&
                        buffers_out_.load(std::memory_order_seq_cst) < buffers_.count())) {
                timeout = std::chrono::nanoseconds(0);
            }
            common::trace::begin(); // --trace: the wait as a span
            ring_.submit_and_wait(timeout);
            common::trace::end_ring_wait(static_cast<int>(ring_.ready()));
            enters_.store(ring_.enter_calls(), std::memory_order_relaxed);
            {
                std::lock_guard lock(mutex_);
                sleeping_ = false;
            }
            // 3. every completion that is there: store the result, wake the task.
            common::trace::begin(); // --trace: the dispatch as a span
            while (const auto c = ring_.next_completion()) {
                complete(*c);
            }
            common::trace::end("dispatch");
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
    for (const auto& op : starved_) { // parked receives: not in the kernel, but waited for
        fail(*op);
    }
    for (const auto& op : resubmit_) {
        fail(*op);
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
