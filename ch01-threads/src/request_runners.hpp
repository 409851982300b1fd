// The same list of requests made two ways with the blocking client of http_get.hpp: one after
// another on the calling thread (total time = the sum of the delays), and one std::thread per
// request (total time = the largest delay, paid for with one thread each). Side by side, so the
// only difference is the one the chapter is about.
#pragma once

#include <common/net.hpp>

#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace ch01 {

// One request to the delay server: "answer `message` after `delay_ms` milliseconds".
struct Request {
    long delay_ms = 0;
    std::string message;

    std::string path() const; // "/<delay_ms>/<percent-encoded message>"
};

// What came back for requests[index].
struct Answer {
    std::size_t index = 0;
    std::string body;                   // the checked body of a 200 answer; empty on failure
    std::exception_ptr error;           // what went wrong, carried out of the thread that saw it
    std::chrono::milliseconds after{0}; // from the start of the run to this answer

    bool ok() const { return error == nullptr; }
};

struct RunReport {
    std::vector<Answer> answers;          // in the order they arrived
    std::chrono::milliseconds elapsed{0}; // from the first connect to the last answer
    std::size_t threads_created = 0;      // threads started for the requests (main not included)
    int peak_threads = 1;                 // most threads doing requests at once, main included

    // Rethrows the first failure in arrival order, so a caller that wants "all or an exception"
    // gets the original exception (a std::system_error stays a std::system_error).
    void rethrow_first_error() const;
};

// Called once per answer, as soon as it arrives. In the threaded runner it is called from the
// request threads, one at a time (under the runner's lock), so printing from it cannot
// interleave and the printed order is the arrival order. In the threaded runner an exception it
// throws becomes that answer's error (and the body is dropped, as for any failure); in the
// sequential one it propagates to the caller.
using AnswerCallback = std::function<void(const Answer&)>;

// One request after another on the calling thread. Each http_get blocks until its answer is in,
// so request k+1 is not even sent before request k is answered. Stops at the first failure and
// throws it: there is nothing concurrent to wait for.
RunReport fetch_sequentially(const common::Endpoint& server, std::span<const Request> requests,
                             std::chrono::milliseconds deadline,
                             const AnswerCallback& on_answer = {});

// One thread per request, all started at once, then joined. Each thread still blocks in its own
// http_get, but they block *at the same time*, so the waits overlap. A failing request does not
// stop the others: its exception is stored in its Answer (an exception cannot cross a thread
// boundary by itself; escaping a thread's function would end the whole program). When a thread
// cannot be created, the threads already started are joined and std::system_error
// "thread for request <i>: <why>" is thrown (<why>: usually "Resource temporarily unavailable").
RunReport fetch_with_threads(const common::Endpoint& server, std::span<const Request> requests,
                             std::chrono::milliseconds deadline,
                             const AnswerCallback& on_answer = {});

} // namespace ch01
