// Load mode's shared bookkeeping: what request i asks for and must get back, the tally of
// successes and the first failure, and the single `summary:` line on stdout (the benchmark driver
// parses it). How the N requests are *made* is each chapter's own business; this file only
// counts.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace common {

// The unique message of request i ("load-17") and its path ("/<delay_ms>/load-17").
std::string load_message(std::size_t i);
std::string load_path(long delay_ms, std::size_t i);

// Thread-safe count of checked answers. Keeps the first failure's cause for the error line.
class LoadTally {
public:
    // Parses `raw` (everything the server sent) and checks the body is load_message(i).
    // Records success or the failure's cause; returns whether it succeeded.
    bool check(std::size_t i, std::string_view raw);
    void fail(std::size_t i, std::string_view cause);
    void succeed();

    std::size_t ok() const;
    std::size_t failed() const;
    std::string first_failure() const; // "" when none

private:
    mutable std::mutex mutex_;
    std::size_t ok_ = 0;
    std::size_t failed_ = 0;
    std::string first_failure_;
};

struct Summary {
    std::string chapter; // "ch02"
    std::size_t requests = 0;
    long delay_ms = 0;
    std::size_t ok = 0;
    long elapsed_ms = 0;
    long peak_rss_kib = 0;
    int threads = 0;
    std::vector<std::pair<std::string, std::string>> extra; // more key=value pairs, e.g. polls
};

// A summary with the fields every chapter fills the same way: ok from the tally, peak RSS of this
// process now. `elapsed` runs from the first connect to the last checked body.
Summary make_summary(std::string chapter, std::size_t requests, long delay_ms,
                     const LoadTally& tally, std::chrono::milliseconds elapsed, int threads);

// "summary: chapter=ch02 requests=100 delay_ms=1000 ok=100 elapsed_ms=1012 peak_rss_kib=4100
// threads=1"
std::string format_summary(const Summary& s);

// Prints the summary on stdout; when some requests failed, also
// "error: load: <N-K> of <N> failed: <first cause>" on stderr. Returns the exit status (0 only
// when every request succeeded).
int finish_load(const Summary& s, const LoadTally& tally);

} // namespace common
