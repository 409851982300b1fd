// Implementation of common/cli.hpp.
#include "common/cli.hpp"

#include "common/delay_server.hpp"
#include "common/print.hpp"
#include "common/trace.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <exception>
#include <new>
#include <sstream>

namespace common {
namespace {

long parse_number(std::string_view flag, std::string_view text, long min, long max) {
    long value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value < min ||
        value > max) {
        throw UsageError(std::string(flag) + ": expected a whole number from " +
                         std::to_string(min) + " to " + std::to_string(max) + ", got '" +
                         std::string(text) + "'");
    }
    return value;
}

} // namespace

long Options::extra_value(std::string_view flag) const {
    const auto it = extra.find(flag);
    if (it == extra.end()) {
        throw std::out_of_range("no such flag: " + std::string(flag));
    }
    return it->second;
}

std::chrono::milliseconds Options::deadline(long longest_delay_ms) const {
    return std::chrono::milliseconds(timeout_ms ? *timeout_ms : longest_delay_ms + 30'000);
}

Options parse_options(int argc, const char* const* argv, const ProgramInfo& info) {
    Options opts;
    for (const ExtraFlag& flag : info.extra_flags) {
        opts.extra[flag.name] = flag.default_value;
    }
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            opts.help = true;
            continue;
        }
        // Accept both "--flag value" and "--flag=value".
        std::string_view name = arg;
        std::optional<std::string_view> inline_value;
        if (const auto eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
            name = arg.substr(0, eq);
            inline_value = arg.substr(eq + 1);
        }
        const auto value = [&]() -> std::string_view {
            if (inline_value) {
                return *inline_value;
            }
            if (i + 1 >= argc) {
                throw UsageError(std::string(name) + ": missing value");
            }
            return argv[++i];
        };

        if (name == "--server") {
            try {
                opts.server = parse_endpoint(value());
            } catch (const std::invalid_argument& e) {
                throw UsageError("--server: " + std::string(e.what()));
            }
        } else if (name == "--requests") {
            opts.requests = static_cast<std::size_t>(parse_number(name, value(), 1, 1'000'000));
            opts.load = true;
        } else if (name == "--delay-ms") {
            opts.delay_ms = parse_number(name, value(), 0, kMaxDelayMs);
            opts.load = true;
        } else if (name == "--timeout-ms") {
            opts.timeout_ms = parse_number(name, value(), 1, 24L * 3600 * 1000);
        } else if (name == "--trace") {
            opts.trace_file = std::string(value());
            if (opts.trace_file->empty()) {
                throw UsageError("--trace: expected a file name");
            }
            if constexpr (!trace::compiled_in) {
                throw UsageError("--trace: this program was built with tracing compiled out "
                                 "(configure with -DASYNC_TRACE=ON)");
            }
        } else {
            bool known = false;
            for (const ExtraFlag& flag : info.extra_flags) {
                if (name == flag.name) {
                    opts.extra[flag.name] = parse_number(name, value(), flag.min, flag.max);
                    known = true;
                }
            }
            if (!known) {
                throw UsageError(std::string(arg) + ": unknown option (try --help)");
            }
        }
    }
    return opts;
}

std::string usage_text(const ProgramInfo& info) {
    std::ostringstream out;
    out << info.name << ": " << info.purpose << "\n\n"
        << "usage: " << info.name << " [options]\n\n"
        << "  (no options)             run the demo against an embedded delay server\n"
        << "  --server HOST:PORT       use an external delay server (start one with\n"
        << "                           `delayserver`) instead of the embedded one\n"
        << "  --requests N             load mode: N concurrent requests (default 100)\n"
        << "  --delay-ms D             load mode: each asks for a D ms delay (default 1000)\n"
        << "  --timeout-ms T           give up after T ms (default: longest delay + 30000)\n"
        << "  --trace FILE             record every poll, wake and wait as Chrome trace-event\n"
        << "                           JSON (open it in https://ui.perfetto.dev)\n";
    if constexpr (!trace::compiled_in) {
        out << "                           (not in this build: configured with "
               "-DASYNC_TRACE=OFF)\n";
    }
    for (const ExtraFlag& flag : info.extra_flags) {
        std::string left = "  " + flag.name + " N";
        left.resize(std::max<std::size_t>(left.size() + 1, 27), ' ');
        out << left << flag.help << " (default " << flag.default_value << ")\n";
    }
    out << "  --help                   show this text\n\n"
        << "Load mode prints one line on stdout:\n"
        << "  summary: chapter=... requests=N delay_ms=D ok=K elapsed_ms=E peak_rss_kib=R "
           "threads=T\n"
        << "and exits 0 only when every request got its answer.\n";
    return out.str();
}

namespace {

// Runs `body` and turns an exception into the program's one `error:` line.
int guarded(const std::function<int()>& body) {
    try {
        return body();
    } catch (const std::bad_alloc&) {
        // what() would say only "std::bad_alloc"; say it in words a reader acts on.
        eprintln("error: memory: out of memory (try fewer requests)");
        return 1;
    } catch (const std::exception& e) {
        eprintln(std::string("error: ") + e.what());
        return 1;
    } catch (...) {
        eprintln("error: unknown exception");
        return 1;
    }
}

} // namespace

int run_program(int argc, const char* const* argv, const ProgramInfo& info,
                const std::function<int(const Options&)>& body) {
    Options opts;
    if (const int status = guarded([&] {
            opts = parse_options(argc, argv, info);
            return 0;
        });
        status != 0) {
        return status;
    }
    if (opts.help) {
        std::fputs(usage_text(info).c_str(), stdout);
        return 0;
    }
    if (opts.trace_file) {
        trace::start(); // before the body starts any thread it might trace
    }
    const int status = guarded([&] { return body(opts); });
    if (!opts.trace_file) {
        return status;
    }
    // The run's result is already printed; a trace that cannot be written only adds a line.
    trace::stop();
    const int trace_status = guarded([&] {
        trace::write(*opts.trace_file, info.name);
        return 0;
    });
    return status != 0 ? status : trace_status;
}

} // namespace common
