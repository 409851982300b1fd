// Implementation of common/trace.hpp: one buffer per thread, one list of buffers, and the JSON
// writer. Everything below the `enabled()` checks runs only while tracing is on.
#include "common/trace.hpp"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <utility>
#include <vector>

namespace common::trace {

namespace detail {
std::atomic<bool> enabled{false};
} // namespace detail

namespace {

using Clock = std::chrono::steady_clock;

// One recorded event. Times are nanoseconds since start(); the file says microseconds.
struct Event {
    char phase = 'X';          // 'X' span, 'i' instant, 's' / 'f' start and end of an arrow
    char scope = 't';          // instants: 't' this thread, 'g' every thread (a mark)
    std::int64_t ts = 0;       //
    std::int64_t dur = 0;      // spans only
    std::uint64_t flow = 0;    // arrows only: the id pairing an 's' with its 'f'
    std::string name;          //
    const char* category = ""; // "poll", "wait", "wake", "timer", ... (tracesvg draws by it)
    std::string args = "{}";   // a JSON object, built when the event is recorded
};

// A span opened by begin() and not closed yet, with the arrows that end in it.
struct OpenSpan {
    std::int64_t start;
    std::vector<std::uint64_t> flows_in;
};

// One thread's buffer. Owned by the recorder (not by the thread), so it outlives its thread and
// the writer finds it at exit. Its mutex is only ever contended while the file is being written.
struct ThreadLog {
    std::mutex mutex;
    int tid = 0;
    std::string name;
    std::vector<Event> events;
    std::vector<OpenSpan> open; // only its own thread touches this: no lock needed
};

struct Recorder {
    std::mutex mutex; // guards logs, pending and next_flow
    std::vector<std::unique_ptr<ThreadLog>> logs;
    // Wakes whose poll has not happened yet: (ready queue, task id) -> arrow ids.
    std::map<std::pair<const void*, std::uint64_t>, std::vector<std::uint64_t>> pending;
    std::uint64_t next_flow = 1;
    // Bumped by every start(), so a thread's cached pointer to a log of an earlier start is not
    // used again. Atomic, because threads read it without the mutex.
    std::atomic<std::uint64_t> generation{0};
    // The clock's zero in nanoseconds, set by start() before any traced thread exists.
    std::atomic<std::int64_t> zero{0};
};

Recorder& recorder() {
    static Recorder instance; // never destroyed before exit's static destructors run
    return instance;
}

std::int64_t now_ns() {
    const auto since_epoch =
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch());
    return since_epoch.count() - recorder().zero.load(std::memory_order_relaxed);
}

// Hooks sit between a system call and the code that reads its errno (epoll_wait's EINTR), and
// recording may allocate, which may set errno: every recording path puts it back.
class KeepErrno {
public:
    KeepErrno() : saved_(errno) {}
    ~KeepErrno() { errno = saved_; }
    KeepErrno(const KeepErrno&) = delete;
    KeepErrno& operator=(const KeepErrno&) = delete;

private:
    int saved_;
};

thread_local ThreadLog* this_thread_log = nullptr;
thread_local std::uint64_t this_thread_generation = 0;

// The calling thread's buffer, created (and given the next track number) on first use.
ThreadLog& log() {
    Recorder& r = recorder();
    const std::uint64_t generation = r.generation.load(std::memory_order_acquire);
    if (this_thread_log == nullptr || this_thread_generation != generation) {
        std::lock_guard lock(r.mutex);
        auto fresh = std::make_unique<ThreadLog>();
        fresh->tid = static_cast<int>(r.logs.size()) + 1;
        fresh->name = "thread-" + std::to_string(fresh->tid);
        this_thread_log = fresh.get();
        this_thread_generation = generation;
        r.logs.push_back(std::move(fresh));
    }
    return *this_thread_log;
}

void record(ThreadLog& into, Event event) {
    std::lock_guard lock(into.mutex);
    into.events.push_back(std::move(event));
}

// Pops the innermost open span; false when there is none (tracing was switched on inside it).
bool close(ThreadLog& l, OpenSpan& out) {
    if (l.open.empty()) {
        return false;
    }
    out = std::move(l.open.back());
    l.open.pop_back();
    return true;
}

void append_escaped(std::string& out, std::string_view text) {
    for (const char c : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            char buffer[8];
            std::snprintf(buffer, sizeof buffer, "\\u%04x", static_cast<unsigned>(c));
            out += buffer;
        } else {
            out += c;
        }
    }
}

// Nanoseconds as the microseconds the format wants, exactly: "1234.567".
void append_micros(std::string& out, std::int64_t ns) {
    char buffer[40];
    std::snprintf(buffer, sizeof buffer, "%lld.%03lld", static_cast<long long>(ns / 1000),
                  static_cast<long long>(ns % 1000));
    out += buffer;
}

void append_event(std::string& out, const Event& e, int pid, int tid) {
    out += "{\"ph\":\"";
    out += e.phase;
    out += "\",\"name\":\"";
    append_escaped(out, e.name);
    out += "\",\"cat\":\"";
    out += e.category;
    out += "\",\"ts\":";
    append_micros(out, e.ts);
    if (e.phase == 'X') {
        out += ",\"dur\":";
        append_micros(out, e.dur);
    }
    if (e.phase == 'i') {
        out += ",\"s\":\"";
        out += e.scope;
        out += '"';
    }
    if (e.phase == 's' || e.phase == 'f') {
        out += ",\"id\":" + std::to_string(e.flow);
    }
    if (e.phase == 'f') {
        out += ",\"bp\":\"e\""; // bind to the enclosing span: the poll this wake caused
    }
    out += ",\"pid\":" + std::to_string(pid) + ",\"tid\":" + std::to_string(tid) +
           ",\"args\":" + e.args + "}";
}

void append_metadata(std::string& out, const char* what, std::string_view name, int pid, int tid) {
    out += "{\"ph\":\"M\",\"name\":\"";
    out += what;
    out += "\",\"ts\":0,\"pid\":" + std::to_string(pid) + ",\"tid\":" + std::to_string(tid) +
           ",\"args\":{\"name\":\"";
    append_escaped(out, name);
    out += "\"}}";
}

std::string numbered(const char* what, std::uint64_t id) {
    return std::string(what) + " " + std::to_string(id);
}

} // namespace

void start() {
    if constexpr (!compiled_in) {
        // The hooks are empty in this build: a "trace" would hold nothing but thread names.
        throw std::runtime_error("trace: this build has tracing compiled out (configured with "
                                 "-DASYNC_TRACE=OFF)");
    }
    Recorder& r = recorder();
    {
        std::lock_guard lock(r.mutex);
        r.logs.clear();
        r.pending.clear();
        r.next_flow = 1;
        r.zero.store(
            std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
                .count(),
            std::memory_order_relaxed);
        r.generation.fetch_add(1, std::memory_order_release);
    }
    detail::enabled.store(true, std::memory_order_relaxed);
    name_thread("main");
}

void stop() {
    detail::enabled.store(false, std::memory_order_relaxed);
}

void detail::name_thread(std::string_view name) {
    if (!trace::enabled()) { // switched off since the hook checked
        return;
    }
    const KeepErrno keep_errno;
    ThreadLog& l = log();
    std::lock_guard lock(l.mutex);
    l.name = name;
}

void detail::begin() {
    if (!trace::enabled()) { // switched off since the hook checked
        return;
    }
    const KeepErrno keep_errno;
    log().open.push_back(OpenSpan{now_ns(), {}});
}

void detail::begin_poll(const void* queue, std::uint64_t id) {
    if (!trace::enabled()) { // switched off since the hook checked
        return;
    }
    const KeepErrno keep_errno;
    ThreadLog& l = log();
    OpenSpan span{now_ns(), {}};
    {
        Recorder& r = recorder();
        std::lock_guard lock(r.mutex);
        // One wake, one queue entry, one poll: the oldest pending wake of this task is the one
        // this poll answers. (Taking them all would leave the second poll that two quick wakes
        // cause without the arrow that caused it.)
        if (const auto it = r.pending.find({queue, id}); it != r.pending.end()) {
            span.flows_in.push_back(it->second.front());
            it->second.erase(it->second.begin());
            if (it->second.empty()) {
                r.pending.erase(it);
            }
        }
    }
    l.open.push_back(std::move(span));
}

namespace {

// Takes this thread's innermost open span into `span`, with its thread's log in `l`: false when
// tracing was switched off since the hook checked, or no span is open. Every end_* hook starts so.
bool take_span(ThreadLog*& l, OpenSpan& span) {
    if (!trace::enabled()) {
        return false;
    }
    l = &log();
    return close(*l, span);
}

} // namespace

void detail::end_poll(const char* what, std::uint64_t id, bool ready) {
    const KeepErrno keep_errno;
    ThreadLog* log_of_thread = nullptr;
    OpenSpan span;
    if (!take_span(log_of_thread, span)) {
        return;
    }
    ThreadLog& l = *log_of_thread;
    const std::int64_t end = now_ns();
    const char* result = ready ? "ready" : "not ready";
    record(l, Event{.phase = 'X',
                    .ts = span.start,
                    .dur = end - span.start,
                    .name = "poll " + numbered(what, id) + ": " + result,
                    .category = "poll",
                    .args = "{\"id\":" + std::to_string(id) + ",\"result\":\"" + result + "\"}"});
    // Each arrow ends in the middle of the poll, so it lies inside the span it belongs to.
    for (const std::uint64_t flow : span.flows_in) {
        record(l, Event{.phase = 'f',
                        .ts = span.start + (end - span.start) / 2,
                        .flow = flow,
                        .name = "wake",
                        .category = "wake"});
    }
}

namespace {

// Closes this thread's innermost open span as a span event (end_wait, end_ring_wait and end).
void close_span(std::string name, const char* category, std::string args) {
    const KeepErrno keep_errno;
    ThreadLog* l = nullptr;
    OpenSpan span;
    if (!take_span(l, span)) {
        return;
    }
    record(*l, Event{.phase = 'X',
                     .ts = span.start,
                     .dur = now_ns() - span.start,
                     .name = std::move(name),
                     .category = category,
                     .args = std::move(args)});
}

} // namespace

void detail::end_wait(int events) {
    const KeepErrno keep_errno; // epoll_wait's errno, read after this hook, survives the formatting
    close_span("epoll_wait: " + std::to_string(events) + " events", "wait",
               "{\"events\":" + std::to_string(events) + "}");
}

void detail::end_ring_wait(int completions) {
    const KeepErrno keep_errno; // as end_wait: io_uring_enter's errno survives the formatting
    close_span("io_uring_enter: " + std::to_string(completions) + " completions", "wait",
               "{\"completions\":" + std::to_string(completions) + "}");
}

void detail::end(const char* name) {
    close_span(name, "span", "{}");
}

void detail::wake(const void* queue, std::uint64_t id) {
    if (!trace::enabled()) { // switched off since the hook checked
        return;
    }
    const KeepErrno keep_errno;
    ThreadLog& l = log();
    std::uint64_t flow = 0;
    {
        Recorder& r = recorder();
        std::lock_guard lock(r.mutex);
        flow = r.next_flow++;
        r.pending[{queue, id}].push_back(flow);
    }
    const std::int64_t ts = now_ns();
    const std::string args = "{\"id\":" + std::to_string(id) + "}";
    record(l, Event{.phase = 'i',
                    .ts = ts,
                    .name = numbered("wake task", id),
                    .category = "wake",
                    .args = args});
    record(l, Event{.phase = 's', .ts = ts, .flow = flow, .name = "wake", .category = "wake"});
}

void detail::instant(const char* what, std::uint64_t id) {
    if (!trace::enabled()) { // switched off since the hook checked
        return;
    }
    const KeepErrno keep_errno;
    record(log(), Event{.phase = 'i',
                        .ts = now_ns(),
                        .name = numbered(what, id),
                        .category = "event",
                        .args = "{\"id\":" + std::to_string(id) + "}"});
}

void detail::mark(std::string_view name) {
    if (!trace::enabled()) { // switched off since the hook checked
        return;
    }
    const KeepErrno keep_errno;
    record(log(), Event{.phase = 'i',
                        .scope = 'g',
                        .ts = now_ns(),
                        .name = std::string(name),
                        .category = "mark"});
}

std::string to_json(std::string_view process) {
    Recorder& r = recorder();
    std::lock_guard lock(r.mutex);
    const int pid = static_cast<int>(::getpid());
    // An arrow needs both ends. A wake whose task was never polled again (it had finished: a
    // false wakeup) keeps its instant but loses its arrow start.
    std::set<std::uint64_t> arrived;
    for (const auto& l : r.logs) {
        std::lock_guard log_lock(l->mutex);
        for (const Event& e : l->events) {
            if (e.phase == 'f') {
                arrived.insert(e.flow);
            }
        }
    }
    std::string out = "{\"traceEvents\":[\n";
    append_metadata(out, "process_name", process, pid, 0);
    for (const auto& l : r.logs) {
        std::lock_guard log_lock(l->mutex);
        out += ",\n";
        append_metadata(out, "thread_name", l->name, pid, l->tid);
        for (const Event& e : l->events) {
            if (e.phase == 's' && arrived.count(e.flow) == 0) {
                continue;
            }
            out += ",\n";
            append_event(out, e, pid, l->tid);
        }
    }
    out += "\n],\"displayTimeUnit\":\"ms\"}\n";
    return out;
}

void write(const std::string& path, std::string_view process) {
    const std::string json = to_json(process);
    std::FILE* file = std::fopen(path.c_str(), "w");
    if (file == nullptr) {
        throw std::runtime_error("trace " + path + ": " + std::strerror(errno));
    }
    const bool written = std::fwrite(json.data(), 1, json.size(), file) == json.size();
    const int write_errno = errno;
    if (std::fclose(file) != 0 || !written) {
        throw std::runtime_error("trace " + path + ": " +
                                 std::strerror(written ? errno : write_errno));
    }
}

} // namespace common::trace
