// The trace recorder behind every chapter's `--trace FILE`: it records what a runtime does — each
// poll, each epoll_wait, each wake and the poll it causes — and writes it at exit as Chrome
// trace-event JSON (`{"traceEvents": [...]}`), which https://ui.perfetto.dev and Chrome's
// about://tracing open as it is, and which common's `tracesvg` draws as a timeline.
//
// It sits beside the chapters, not under them: a chapter calls it from one line at each site it
// wants seen (`common::trace::begin();` before a poll, `common::trace::end_poll(...)` after it),
// and the program's command line (cli.hpp) turns it on and writes the file.
//
// Off by default, and then it costs one predictable branch per call: every hook below is inline
// and first reads one `std::atomic<bool>` with memory_order_relaxed — on x86-64 and AArch64 a plain
// load, no fence — and returns. An atomic rather than a plain bool because tests switch it on and
// off while other threads may be reading it; a plain bool would be a data race there (and TSan
// would say so), even though the programs set it once before any thread starts. Nothing is
// formatted or allocated when it is off, and no call is made: the recording half (detail::) is out
// of line, and builds names from a fixed `what` and a number only when recording.
//
// And it can cost nothing: configured with the CMake option ASYNC_TRACE=OFF (`-DASYNC_TRACE=OFF`):
// then enabled() below is the constant false, every hook is an empty inline function that the
// optimiser removes, and
// `--trace` is refused. The benchmark's `ch04-notrace` and `ch05-notrace` rows run such a build
// beside the normal one, to show what the hooks cost when they are compiled in but off (ch04's
// README, "See it run", also counts the instructions).
//
// When on, each thread appends to its own buffer (one uncontended mutex per event, so the writer
// may read a buffer while its thread still runs); timestamps all come from std::chrono::
// steady_clock, one monotonic clock for every thread, so events on different threads line up.
// Simplification: everything is kept in memory until exit (about 100 bytes per event), which is
// fine for the runs this repository makes, not for a server that runs for days.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

// ASYNC_TRACE is 1 or 0, set for every target that links common (common/CMakeLists.txt); a file
// compiled without it gets the recorder.
#ifndef ASYNC_TRACE
#define ASYNC_TRACE 1
#endif

namespace common::trace {

// Whether this build has the hooks at all (ASYNC_TRACE).
inline constexpr bool compiled_in = ASYNC_TRACE != 0;

namespace detail {
extern std::atomic<bool> enabled;
// The recording halves of the hooks below, out of line: called only while tracing is on.
void name_thread(std::string_view name);
void begin();
void begin_poll(const void* queue, std::uint64_t id);
void end_poll(const char* what, std::uint64_t id, bool ready);
void end_wait(int events);
void end_ring_wait(int completions);
void end(const char* name);
void wake(const void* queue, std::uint64_t id);
void instant(const char* what, std::uint64_t id);
void mark(std::string_view name);
} // namespace detail

// The one branch every hook pays when tracing is off; compiled out, the constant false, and the
// hook is dead code.
inline bool enabled() {
    if constexpr (compiled_in) {
        return detail::enabled.load(std::memory_order_relaxed);
    } else {
        return false;
    }
}

// Turns recording on, takes the clock's zero, and names the calling thread "main". Call it
// before starting the threads to be traced. Forgets whatever an earlier start recorded.
// Compiled out, it throws std::runtime_error (nothing could be recorded).
void start();
// Turns recording off (what was recorded stays, for to_json and write).
void stop();

// The events recorded so far as Chrome trace-event JSON; `process` names the process's track.
std::string to_json(std::string_view process);
// Writes to_json(process) to `path`. Throws std::runtime_error("trace <path>: <why>").
void write(const std::string& path, std::string_view process);

// ---- hooks: each is one line at the site it records, and does nothing when tracing is off
// ----

// Names the calling thread's track ("reactor", "exec-1"): a metadata event in the file.
inline void name_thread(std::string_view name) {
    if (enabled()) {
        detail::name_thread(name);
    }
}

// Opens a span on this thread (takes the time now); one of the end_* calls below closes it.
// Spans nest (block_on's poll of a join_all, and inside it the polls of its children).
inline void begin() {
    if (enabled()) {
        detail::begin();
    }
}
// As begin(), for the poll of one task: `queue` and `id` say which task (its executor's ready
// queue and its id), so the wakes recorded for it by wake() get their arrows to this poll.
inline void begin_poll(const void* queue, std::uint64_t id) {
    if (enabled()) {
        detail::begin_poll(queue, id);
    }
}

// Closes the span as a poll: "poll <what> <id>: ready" or ": not ready".
inline void end_poll(const char* what, std::uint64_t id, bool ready) {
    if (enabled()) {
        detail::end_poll(what, id, ready);
    }
}
// Closes the span as a wait in epoll_wait that returned `events` events (or failed: -1).
inline void end_wait(int events) {
    if (enabled()) {
        detail::end_wait(events);
    }
}
// The same for a wait in io_uring_enter that left `completions` completions in the ring (ch04's
// UringReactor): "io_uring_enter: N completions", drawn as a wait like epoll_wait.
inline void end_ring_wait(int completions) {
    if (enabled()) {
        detail::end_ring_wait(completions);
    }
}
// Closes the span with a fixed name (a coroutine resumption, the reactor's dispatch of events).
inline void end(const char* name) {
    if (enabled()) {
        detail::end(name);
    }
}

// A wake of task `id` of `queue`, from this thread: an instant here and the start of an arrow
// that ends at the task's next poll (begin_poll with the same queue and id).
inline void wake(const void* queue, std::uint64_t id) {
    if (enabled()) {
        detail::wake(queue, id);
    }
}
// A point event on this thread: "<what> <id>" (a timer armed or fired, an event for a token).
inline void instant(const char* what, std::uint64_t id) {
    if (enabled()) {
        detail::instant(what, id);
    }
}
// A point across all threads that marks where a part of a demo begins ("Part 2"); tracesvg can
// draw one part alone (--part).
inline void mark(std::string_view name) {
    if (enabled()) {
        detail::mark(name);
    }
}

} // namespace common::trace
