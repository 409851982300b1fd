// Exercise ch01/02, a reference answer: one clock for the whole request. The deadline becomes a
// time point once; before every read the thread waits in poll(2) for at most the time that is left,
// so the sum of the waits can never exceed it. The socket stays blocking (recv after a readable
// poll returns at once); only the waiting moves into poll.
#include "http_get_before.hpp"

#include <common/http.hpp>

#include <cerrno>
#include <stdexcept>
#include <system_error>

#include <poll.h>
#include <sys/socket.h>

namespace ch01::exercise {

std::string http_get_before(const common::Endpoint& server, std::string_view path,
                            std::chrono::milliseconds deadline) {
    using Clock = std::chrono::steady_clock;
    const Clock::time_point end = Clock::now() + deadline;
    const std::string target = server.to_string();
    auto left = [&] {
        const auto rest = std::chrono::ceil<std::chrono::milliseconds>(end - Clock::now());
        return rest.count() > 0 ? rest : std::chrono::milliseconds(0);
    };

    // connect_tcp bounds its own wait; give it what is left of ours.
    common::Fd socket = common::connect_tcp(server, std::max(left(), std::chrono::milliseconds(1)));
    common::write_all(socket.get(), common::get_request(path), target);

    std::string raw;
    char buffer[4096];
    for (;;) {
        pollfd waiting{.fd = socket.get(), .events = POLLIN, .revents = 0};
        const auto rest = left();
        const int ready =
            rest.count() == 0 ? 0 : ::poll(&waiting, 1, static_cast<int>(rest.count()));
        if (ready < 0) {
            if (errno == EINTR) {
                continue; // the next round recomputes what is left
            }
            throw std::system_error(errno, std::generic_category(), "poll " + target);
        }
        if (ready == 0) {
            throw std::runtime_error("read " + target + ": timed out");
        }
        const ssize_t n = ::recv(socket.get(), buffer, sizeof buffer, 0);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            throw std::system_error(errno, std::generic_category(), "read " + target);
        }
        if (n == 0) {
            break; // the server closed: the response is complete
        }
        raw.append(buffer, static_cast<std::size_t>(n));
        if (raw.size() > common::kMaxResponseBytes) {
            throw common::HttpError("read " + target + ": response too long");
        }
    }
    return common::ok_body(raw);
}

} // namespace ch01::exercise
