// Implementation of common/load.hpp.
#include "common/load.hpp"

#include "common/http.hpp"
#include "common/print.hpp"
#include "common/resources.hpp"

#include <exception>

namespace common {

std::string load_message(std::size_t i) {
    return "load-" + std::to_string(i);
}

std::string load_path(long delay_ms, std::size_t i) {
    // Built with += rather than "/" + ...: g++ 12 -O2 warns falsely (-Wrestrict) on the latter.
    std::string path = "/";
    path += std::to_string(delay_ms);
    path += '/';
    path += load_message(i);
    return path;
}

bool LoadTally::check(std::size_t i, std::string_view raw) {
    try {
        const std::string body = ok_body(raw);
        if (body != load_message(i)) {
            fail(i, "wrong body '" + body.substr(0, 40) + "', expected '" + load_message(i) + "'");
            return false;
        }
    } catch (const std::exception& e) {
        fail(i, e.what());
        return false;
    }
    succeed();
    return true;
}

void LoadTally::fail(std::size_t i, std::string_view cause) {
    std::lock_guard lock(mutex_);
    if (failed_++ == 0) {
        first_failure_ = "request " + std::to_string(i) + ": " + std::string(cause);
    }
}

void LoadTally::succeed() {
    std::lock_guard lock(mutex_);
    ++ok_;
}

std::size_t LoadTally::ok() const {
    std::lock_guard lock(mutex_);
    return ok_;
}

std::size_t LoadTally::failed() const {
    std::lock_guard lock(mutex_);
    return failed_;
}

std::string LoadTally::first_failure() const {
    std::lock_guard lock(mutex_);
    return first_failure_;
}

Summary make_summary(std::string chapter, std::size_t requests, long delay_ms,
                     const LoadTally& tally, std::chrono::milliseconds elapsed, int threads) {
    Summary s;
    s.chapter = std::move(chapter);
    s.requests = requests;
    s.delay_ms = delay_ms;
    s.ok = tally.ok();
    s.elapsed_ms = static_cast<long>(elapsed.count());
    s.peak_rss_kib = peak_rss_kib();
    s.threads = threads;
    return s;
}

std::string format_summary(const Summary& s) {
    std::string line = "summary: chapter=" + s.chapter + " requests=" + std::to_string(s.requests) +
                       " delay_ms=" + std::to_string(s.delay_ms) + " ok=" + std::to_string(s.ok) +
                       " elapsed_ms=" + std::to_string(s.elapsed_ms) +
                       " peak_rss_kib=" + std::to_string(s.peak_rss_kib) +
                       " threads=" + std::to_string(s.threads);
    for (const auto& [key, value] : s.extra) {
        line += " " + key + "=" + value;
    }
    return line;
}

int finish_load(const Summary& s, const LoadTally& tally) {
    println(format_summary(s));
    if (s.ok >= s.requests) {
        return 0;
    }
    const std::size_t failed = s.requests - s.ok;
    std::string cause = tally.first_failure();
    if (cause.empty()) {
        cause = "no answer";
    }
    eprintln("error: load: " + std::to_string(failed) + " of " + std::to_string(s.requests) +
             " failed: " + cause);
    return 1;
}

} // namespace common
