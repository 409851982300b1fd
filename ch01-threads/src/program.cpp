// Implementation of program.hpp: the demo in three parts, the closing paragraph on what threads
// cost, and load mode. Reads top to bottom in the order the program prints.
#include "program.hpp"

#include "dereference.hpp"
#include "load.hpp"
#include "os_threads_demo.hpp"
#include "request_runners.hpp"
#include "small_stack_thread.hpp"
#include "thread_cost.hpp"

#include <common/cli.hpp>
#include <common/example_flag.hpp>
#include <common/print.hpp>
#include <common/resources.hpp>
#include <common/server_target.hpp>

#include <algorithm>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ch01 {
namespace {

const std::vector<common::ExtraFlag> kExtraFlags = {
    {"--stack-kib", "load mode: stack size of each request thread, in KiB",
     static_cast<long>(kLoadStackBytes / 1024), 64, 1024 * 1024},
};

const common::ProgramInfo kProgram = {
    "ch01-threads",
    "blocking sockets, sequentially and with one OS thread per request (book chapters 1-2);\n"
    "  --example dereference runs book ch. 1's example instead: a pointer read in assembly",
    kExtraFlags,
};

// The book's five requests: the first asks for the longest delay, so with threads the answers
// arrive in the reverse of the order they were sent.
std::vector<Request> demo_requests() {
    return {{500, "request-0"},
            {400, "request-1"},
            {300, "request-2"},
            {200, "request-3"},
            {100, "request-4"}};
}

long longest_delay_ms(const std::vector<Request>& requests) {
    long longest = 0;
    for (const Request& r : requests) {
        longest = std::max(longest, r.delay_ms);
    }
    return longest;
}

long sum_of_delays_ms(const std::vector<Request>& requests) {
    long sum = 0;
    for (const Request& r : requests) {
        sum += r.delay_ms;
    }
    return sum;
}

std::string fixed(double value, int decimals) {
    char text[64];
    std::snprintf(text, sizeof text, "%.*f", decimals, value);
    return text;
}

std::string ms(std::chrono::milliseconds d) {
    return std::to_string(d.count()) + " ms";
}

// Prints each answer as it arrives. Only successes: a failure ends the run with its error line.
AnswerCallback print_answers(const std::vector<Request>& requests) {
    return [&requests](const Answer& answer) {
        if (answer.ok()) {
            const Request& request = requests[answer.index];
            common::println(request.message + " (" + std::to_string(request.delay_ms) +
                            " ms) answered after " + ms(answer.after) + ": \"" + answer.body +
                            "\"");
        }
    };
}

// ---- part 1: the book's OS-thread program -----------------------------------------------------

void part_one() {
    common::println(
        "=== 1. OS threads: the book's first program (book ch. 2, ch02/a-os-threads) ===");
    os_threads_demo([](std::string_view line) { common::println(line); });
    common::println("");
}

// ---- part 2: five blocking GETs, one after another ---------------------------------------------

void part_two(const common::Endpoint& server, const std::vector<Request>& requests,
              std::chrono::milliseconds deadline) {
    const RunReport report =
        fetch_sequentially(server, requests, deadline, print_answers(requests));
    common::println("Total: " + ms(report.elapsed) + ". The delays add up to " +
                    std::to_string(sum_of_delays_ms(requests)) +
                    " ms: each request waited for the one before it.");
    common::println("");
}

// ---- part 3: the same requests, one std::thread each -------------------------------------------

void part_three(const common::Endpoint& server, const std::vector<Request>& requests,
                std::chrono::milliseconds deadline) {
    common::println("=== 3. The same five requests, one std::thread each ===");
    const RunReport report =
        fetch_with_threads(server, requests, deadline, print_answers(requests));
    report.rethrow_first_error();
    common::println("Total: " + ms(report.elapsed) + ". The longest delay is " +
                    std::to_string(longest_delay_ms(requests)) + " ms: the waits overlapped.");
    common::println("It cost " + std::to_string(report.threads_created) + " threads for " +
                    std::to_string(requests.size()) + " requests (" +
                    std::to_string(report.peak_threads) + " at the peak, with main); peak RSS " +
                    std::to_string(common::peak_rss_kib()) + " KiB.");
    common::println("");
}

// ---- the closing paragraph: what this design costs at 10,000 connections ------------------------

// The paragraph, with {placeholders} for the figures measured on this run.
constexpr std::string_view kClosingParagraph =
    R"(=== What this costs at 10,000 connections ===
Measured just now over {threads} idle threads: creating one took {create_us} µs, and each live
thread added about {virtual_kib} KiB of address space (its stack: {stack_kib} KiB, the `ulimit -s`
default) and {resident_kib} KiB of resident memory. One thread per connection at 10,000
connections therefore means:
  - stacks: about {reserved_gib} GiB of address space reserved. Only the touched pages become
    resident (about {resident_mib} MiB), but strict overcommit and `ulimit -v` count the whole
    reservation; load mode gives each thread a {load_stack_kib} KiB stack for that reason.
  - creation: about {create_ms} ms of system calls (mmap, mprotect, clone) before the last
    request is even sent.
  - scheduling: a blocked thread costs no CPU, but every answer wakes one, and each wakeup is a
    context switch through the kernel; `ulimit -u` and kernel.threads-max cap how many
    connections there can be at all.
Every one of those threads spends its life waiting. The next layer, ch02-epoll-reactor, gives
all the waiting to one thread: a single epoll_wait call reports whichever of thousands of
sockets is ready.)";

// Replaces each {name} in `text` by its value.
std::string fill(std::string text, const std::vector<std::pair<std::string, std::string>>& values) {
    for (const auto& [name, value] : values) {
        const std::string key = "{" + name + "}";
        for (auto at = text.find(key); at != std::string::npos; at = text.find(key, at)) {
            text.replace(at, key.size(), value);
            at += value.size();
        }
    }
    return text;
}

void closing_paragraph() {
    constexpr std::size_t kMeasured = 256;
    constexpr double kConnections = 10'000;
    const ThreadCost cost = measure_thread_cost(kMeasured);
    const double create_us = static_cast<double>(cost.create_each.count()) / 1000.0;
    const std::string text = fill(
        std::string(kClosingParagraph),
        {{"threads", std::to_string(kMeasured)},
         {"create_us", fixed(create_us, 1)},
         {"virtual_kib", std::to_string(cost.virtual_kib_each)},
         {"stack_kib", std::to_string(cost.stack_kib)},
         {"resident_kib", std::to_string(cost.resident_kib_each)},
         {"reserved_gib",
          fixed(kConnections * static_cast<double>(cost.virtual_kib_each) / (1024.0 * 1024.0), 0)},
         {"resident_mib",
          fixed(kConnections * static_cast<double>(cost.resident_kib_each) / 1024.0, 0)},
         {"load_stack_kib", std::to_string(kLoadStackBytes / 1024)},
         {"create_ms", fixed(kConnections * create_us / 1000.0, 0)}});
    // One println per line: common::println writes whole lines.
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t end = std::min(text.find('\n', start), text.size());
        common::println(std::string_view(text).substr(start, end - start));
        start = end + 1;
    }
}

int run_demo(const common::Options& opts) {
    part_one();

    common::println("=== 2. Five blocking GETs, one after another ===");
    // Announces itself ("Using an embedded delay server on ...") unless --server was given.
    const common::ServerTarget target(opts, common::ServerTarget::Mode::Demo);
    const std::vector<Request> requests = demo_requests();
    // The run's deadline (--timeout-ms, or the longest delay plus 30 s), applied to every request
    // as its receive timeout.
    const auto deadline = opts.deadline(longest_delay_ms(requests));
    part_two(target.endpoint(), requests, deadline);
    part_three(target.endpoint(), requests, deadline);
    closing_paragraph();
    return 0;
}

// ---- load mode ---------------------------------------------------------------------------------

int run_load_mode(const common::Options& opts) {
    // Load mode: the embedded server (if any) is quiet and announced on stderr, so stdout carries
    // only the summary line; the descriptor limit is raised and checked before anything starts.
    const common::ServerTarget target(opts, common::ServerTarget::Mode::Load);
    LoadPlan plan;
    plan.server = target.endpoint();
    plan.requests = opts.requests;
    plan.delay_ms = opts.delay_ms;
    plan.deadline = opts.deadline(opts.delay_ms);
    plan.stack_bytes = static_cast<std::size_t>(opts.extra_value("--stack-kib")) * 1024;
    common::LoadTally tally;
    const common::Summary summary = run_load(plan, tally);
    return common::finish_load(summary, tally);
}

// ---- --example dereference (book ch. 1, ch01/a-assembly-dereference) ---------------------------

// The book's main: a number on the stack, a pointer to it, and the pointer read back by hand.
int run_dereference_example() {
    common::println("=== Book ch. 1, ch01/a-assembly-dereference: a pointer read by one "
                    "instruction ===");
    const std::size_t t = 100;
    const std::size_t* t_ptr = &t;
    char address[32];
    std::snprintf(address, sizeof address, "%p", static_cast<const void*>(t_ptr));
    common::println("t = 100 is stored at " + std::string(address) +
                    "; dereference(t_ptr) loads it with one " +
                    std::string(dereference_instruction()) + " instruction:");
    const std::size_t x = dereference(t_ptr);
    common::println(std::to_string(x));
    return 0;
}

const common::Example kExamples[] = {
    {"dereference", run_dereference_example},
};

} // namespace

int program_main(int argc, const char* const* argv) {
    if (const auto status = common::run_example(argc, argv, kExamples)) {
        return *status; // `--example dereference`: the book's ch. 1 example instead of the demo
    }
    return common::run_program(argc, argv, kProgram, [](const common::Options& opts) {
        return opts.load ? run_load_mode(opts) : run_demo(opts);
    });
}

} // namespace ch01
