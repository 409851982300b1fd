// The delay server's engine (implements common/delay_server.hpp): one thread, one epoll instance
// and one deadline heap serve every connection. The `delayserver` program, the chapters' embedded
// servers and every test that needs a server run this code.
//
// A connection lives through a few phases, always in this order:
//   Reading  accepted; collecting the request head (deadline: the idle timeout, then 408)
//   Waiting  head parsed and logged; the 200 answer is due at arrival + delay_ms
//   Sending  the answer did not fit into one send(); the rest goes out on EPOLLOUT
// and is closed after its answer, on any error, or when the client goes away. Bad requests skip
// Waiting: their 4xx is sent at once. Beyond max_connections a client is answered 503 at once.
//
// Clients that close early. A client that sends `GET /3600000/x` and closes would hold a
// descriptor in CLOSE_WAIT for an hour, and a loop of them would exhaust the descriptor limit.
// Its close arrives as a FIN (EPOLLRDHUP) while Waiting, but so does a legitimate half-close: a
// client may shut down its sending side after its request (`nc -N` does) and still read the
// answer. The two cannot be told apart from the FIN alone, so on a FIN while Waiting the server
// sends the first byte of its answer early. A client that only half-closed takes it in and reads
// it with the rest; a client that closed has no socket left to take it, and its kernel answers
// with a reset (RFC 9293, 3.6.1), which ends the connection here (EPOLLHUP) within a round trip.
// The cap (max_connections) bounds what is left: clients that stay connected without reading.
#include "common/delay_server.hpp"

#include "common/error.hpp"
#include "common/percent.hpp"
#include "common/print.hpp"
#include "request_head.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <stdexcept>
#include <string_view>
#include <utility>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

namespace common {
namespace {

using detail::HeadParser;
using detail::Request;

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// One recv() takes up to this much. Larger than the head limit, so a single read can tell that a
// head is too long.
constexpr std::size_t kReadChunk = 16 * 1024;

// Input we throw away per call of discard_input (per event, or before a close). It must cover
// what a client can have sent before we close: bytes sitting unread at close() make the kernel
// send RST, which can destroy the answer in the client's buffer. 1 MiB covers any sane request
// with trailing junk, yet a client flooding us holds the thread for only a fraction of a
// millisecond per call; what it sends beyond that earns it the reset.
constexpr std::size_t kMaxDiscardBytes = 1024 * 1024;

constexpr int kMaxEvents = 1024;           // events taken from one epoll_wait
constexpr auto kAcceptRetry = 100ms;       // see Loop::pause_accepting
constexpr std::uint32_t kNoGeneration = 0; // generations start at 1

// epoll hands back 64 bits of our choosing with every event. A connection's are its descriptor
// and its generation (see Connection); the server's own two descriptors get values no connection
// can produce, because a descriptor number never reaches 2^32 - 2.
constexpr std::uint64_t kListenerToken = ~std::uint64_t{0};
constexpr std::uint64_t kStopToken = ~std::uint64_t{0} - 1;

enum class Phase : std::uint8_t { Free, Reading, Waiting, Sending };

// Per-connection state, kept small because there may be tens of thousands: 56 bytes, plus a
// parser on the heap only while a head arrives in pieces, and a heap buffer only when a message
// is longer than the string's inline capacity (15 bytes in libstdc++).
struct Connection {
    Fd fd;
    // Counts accepted connections. The kernel hands out the lowest free descriptor number, so a
    // number is reused as soon as a connection closes; the generation tells a deadline (or event)
    // meant for an earlier connection on the same number from one meant for this one. At 2^32
    // connections it wraps, long after any stale deadline (at most an hour old) has been popped.
    std::uint32_t generation = kNoGeneration;
    Phase phase = Phase::Free;
    // Bytes may be waiting unread in the socket: close() would then send RST instead of FIN, and a
    // reset can destroy our answer in the client's receive buffer before the client reads it. So
    // close_connection() drains them first.
    bool input_pending = false;
    bool ok_answer = false; // the response being sent is a 200 (counted once it is out)
    // Waiting: the client finished sending (FIN) and the first byte of the answer went out early
    // to find out whether it is still there (see the top of this file).
    bool sent_first_byte = false;
    // Waiting: the decoded message. Sending: the part of the response not yet sent.
    std::string data;
    // Reading, when the head did not come whole: the parser that has judged the bytes so far, so
    // the next read feeds it only what is new.
    std::unique_ptr<HeadParser> head;
};

// A moment when something must happen to connection (fd, generation): its idle timeout, its
// answer, or giving up on a client that stopped reading. Phases only move forward, so an entry
// whose phase is no longer the connection's is stale and skipped: that is cheaper than finding
// and removing it from the heap when the connection moves on.
struct Deadline {
    Clock::time_point when;
    int fd = -1; // -1: not a connection but the retry of a paused accept (see pause_accepting)
    std::uint32_t generation = kNoGeneration;
    Phase phase = Phase::Free;

    bool operator>(const Deadline& other) const { return when > other.when; }
};

// A min-heap: top() is the earliest deadline. Both kinds of deadline (answers and idle timeouts)
// share it, so one number, the time to top(), is all epoll_wait needs as its timeout. Pushing and
// popping cost O(log n); a sorted list would cost O(n) per insertion, and a timer per connection
// (timerfd) would cost a descriptor and system calls each.
using DeadlineHeap = std::priority_queue<Deadline, std::vector<Deadline>, std::greater<>>;

// ---- the response -----------------------------------------------------------------------------

std::string_view reason_phrase(int status) {
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 414:
        return "URI Too Long";
    case 431:
        return "Request Header Fields Too Large";
    case 503:
        return "Service Unavailable";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Error";
    }
}

void append_number(std::string& out, std::size_t value) {
    std::array<char, 24> digits{};
    const auto [end, ec] = std::to_chars(digits.data(), digits.data() + digits.size(), value);
    out.append(digits.data(), end);
}

// Writes a whole response into `out`, which the loop reuses so building one allocates nothing.
void build_response(std::string& out, int status, std::string_view body) {
    out.clear();
    out += "HTTP/1.1 ";
    append_number(out, static_cast<std::size_t>(status));
    out += ' ';
    out += reason_phrase(status);
    out += "\r\ncontent-length: ";
    append_number(out, body.size());
    out += "\r\ncontent-type: text/plain; charset=utf-8\r\n";
    if (status == 405) {
        out += "allow: GET\r\n";
    }
    out += "connection: close\r\n\r\n";
    out += body;
}

// The log is one line per request whatever the message holds: control bytes become \xNN.
std::string loggable(std::string_view message) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(message.size());
    for (const char ch : message) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c == 0x7f) {
            out += "\\x";
            out += kHex[c >> 4];
            out += kHex[c & 0xf];
        } else {
            out += ch;
        }
    }
    return out;
}

// ---- the loop ---------------------------------------------------------------------------------

// Everything the server thread owns. It lives on that thread's stack for the thread's whole life;
// its destructor closes every connection still open.
class Loop {
public:
    Loop(int listener, int epoll, const DelayServerOptions& options,
         std::atomic<std::uint64_t>& answered, std::atomic<std::uint64_t>& head_bytes_examined)
        : listener_(listener), epoll_(epoll), options_(options), answered_(answered),
          head_bytes_examined_(head_bytes_examined) {}

    // Serves until the stop event is readable.
    void run();

private:
    int wait_timeout() const;
    void accept_all();
    void add_connection(Fd fd);
    void pause_accepting();
    void resume_accepting();
    void on_event(std::uint64_t token, std::uint32_t events);
    void read_head(int fd, Connection& c);
    std::optional<Request> judge(Connection& c, std::string_view chunk);
    void start_waiting(int fd, Connection& c, Request request);
    void send_error(int fd, Connection& c, int status, std::string_view why);
    void turn_away(Fd fd);
    void on_peer_finished(int fd, Connection& c);
    void send_response(int fd, Connection& c, bool ok, std::size_t already_sent = 0);
    void continue_sending(int fd, Connection& c);
    void finish(int fd, Connection& c);
    void discard_input(int fd, Connection& c);
    void close_connection(int fd, Connection& c);
    void run_due_deadlines();

    const int listener_;
    const int epoll_;
    const DelayServerOptions& options_;
    std::atomic<std::uint64_t>& answered_;
    std::atomic<std::uint64_t>& head_bytes_examined_;

    std::vector<Connection> connections_; // indexed by descriptor number: O(1) lookup, no hashing
    DeadlineHeap deadlines_;
    std::uint32_t last_generation_ = kNoGeneration;
    std::size_t open_ = 0;       // connections held, compared with options_.max_connections
    std::uint64_t requests_ = 0; // the <n> of the log line
    bool accepting_ = true;
    Clock::time_point now_ = Clock::now();
    std::string response_;                  // scratch: the response being sent
    std::array<char, kReadChunk> buffer_{}; // scratch: what recv() just read
};

void Loop::run() {
    std::array<epoll_event, kMaxEvents> events{};
    for (;;) {
        const int n = ::epoll_wait(epoll_, events.data(), kMaxEvents, wait_timeout());
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            throw_errno("epoll_wait");
        }
        now_ = Clock::now();
        for (int i = 0; i < n; ++i) {
            const std::uint64_t token = events[static_cast<std::size_t>(i)].data.u64;
            if (token == kStopToken) {
                return; // the destructor closes what is still open
            }
            if (token == kListenerToken) {
                accept_all();
            } else {
                on_event(token, events[static_cast<std::size_t>(i)].events);
            }
        }
        now_ = Clock::now();
        run_due_deadlines();
    }
}

// Milliseconds until the earliest deadline: epoll_wait sleeps exactly until there is something
// to do, either an event or a deadline. Rounded up: waking a little late costs at most a
// millisecond of delay, waking early would cost a useless turn of the loop.
int Loop::wait_timeout() const {
    if (deadlines_.empty()) {
        return -1;
    }
    const auto left = deadlines_.top().when - Clock::now();
    if (left <= Clock::duration::zero()) {
        return 0;
    }
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
    return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
}

// The listener is level-triggered and accepted until EAGAIN. Taking every pending connection in
// one go keeps the backlog short during a burst (a full backlog drops SYNs, and a client retries a
// dropped SYN only after a second or more). Level triggering means nothing is lost when we stop
// early (out of descriptors): the next epoll_wait reports the listener again.
void Loop::accept_all() {
    for (;;) {
        Fd fd(::accept4(listener_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
        if (fd && open_ >= options_.max_connections) {
            turn_away(std::move(fd));
            continue;
        }
        if (fd) {
            add_connection(std::move(fd));
            continue;
        }
        const int err = errno;
        if (err == EAGAIN || err == EWOULDBLOCK) {
            return; // the backlog is empty
        }
        if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
            pause_accepting();
            return;
        }
        // Linux reports some errors of the pending connection itself through accept() (the
        // client gave up, a network error): that connection is gone, the next one may be fine.
        if (err == EINTR || err == ECONNABORTED || err == EPROTO || err == EPERM ||
            err == ENETDOWN || err == ENOPROTOOPT || err == EHOSTDOWN || err == ENONET ||
            err == EHOSTUNREACH || err == EOPNOTSUPP || err == ENETUNREACH) {
            continue;
        }
        eprintln("error: delay server: accept: " + std::string(std::strerror(err)));
        pause_accepting();
        return;
    }
}

// Connections are registered once, edge-triggered, and never modified unless an answer needs
// EPOLLOUT. Edge triggering reports *changes*: after the head is read, a connection stays silent
// for its whole delay unless the client sends more or hangs up. Level triggering would report any
// unread trailing bytes or the client's EOF on every epoll_wait until we switched the interest off
// (one more epoll_ctl per connection). The price of edge triggering is the rule that every read
// loop runs to EAGAIN (or keeps a note that it did not: Connection::input_pending).
void Loop::add_connection(Fd fd) {
    const int number = fd.get();
    if (static_cast<std::size_t>(number) >= connections_.size()) {
        connections_.resize(static_cast<std::size_t>(number) + 1);
    }
    Connection& c = connections_[static_cast<std::size_t>(number)];
    c.fd = std::move(fd);
    if (++last_generation_ == kNoGeneration) {
        ++last_generation_; // after wrapping around: 0 means "no connection"
    }
    c.generation = last_generation_;
    c.phase = Phase::Reading;
    ++open_;
    if (options_.send_buffer_bytes > 0) {
        ::setsockopt(number, SOL_SOCKET, SO_SNDBUF, &options_.send_buffer_bytes,
                     sizeof options_.send_buffer_bytes);
    }
    epoll_event event{};
    // EPOLLRDHUP: the client's FIN, reported even while we read nothing (see on_peer_finished).
    event.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
    event.data.u64 = (std::uint64_t{c.generation} << 32) | static_cast<std::uint32_t>(number);
    if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, number, &event) != 0) {
        close_connection(number, c); // out of kernel memory for watches: drop this one
        return;
    }
    deadlines_.push(Deadline{now_ + options_.idle_timeout, number, c.generation, Phase::Reading});
}

// Out of descriptors (EMFILE, ENFILE) or kernel memory. The connection stays in the backlog and
// the listener stays readable, so a level-triggered listener would be reported again at once and
// the loop would spin at full CPU, failing accept() forever. Instead the listener leaves the epoll
// set until one of our connections closes (a descriptor is free again) or kAcceptRetry has passed
// (the descriptors may be held by someone else in this process, e.g. a test's own clients).
// Meanwhile the clients wait in the backlog. The other classic answer, a spare descriptor closed
// to accept and drop the connection, turns waiting clients into refused ones; for a test fixture
// waiting is kinder.
void Loop::pause_accepting() {
    if (!accepting_) {
        return;
    }
    ::epoll_ctl(epoll_, EPOLL_CTL_DEL, listener_, nullptr);
    accepting_ = false;
    deadlines_.push(Deadline{now_ + kAcceptRetry, -1, kNoGeneration, Phase::Free});
}

void Loop::resume_accepting() {
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = kListenerToken;
    if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, listener_, &event) == 0) {
        accepting_ = true;
    } else {
        deadlines_.push(Deadline{now_ + kAcceptRetry, -1, kNoGeneration, Phase::Free});
    }
}

void Loop::on_event(std::uint64_t token, std::uint32_t events) {
    const auto number = static_cast<std::size_t>(token & 0xffffffffU);
    const auto generation = static_cast<std::uint32_t>(token >> 32);
    if (number >= connections_.size()) {
        return;
    }
    Connection& c = connections_[number];
    const int fd = static_cast<int>(number);
    // A connection is closed only while handling its own event or deadline, and a batch holds one
    // event per descriptor, so this does not happen; the check keeps it true if that ever changes.
    if (c.phase == Phase::Free || c.generation != generation) {
        return;
    }
    if ((events & (EPOLLERR | EPOLLHUP)) != 0) {
        // Reset by the client, or closed in both directions: nobody is left to answer. (A client
        // that only shut down its sending side, as `nc -N` does, is an EOF on EPOLLIN instead and
        // still gets its answer.)
        close_connection(fd, c);
        return;
    }
    switch (c.phase) {
    case Phase::Reading:
        if ((events & EPOLLIN) != 0) {
            read_head(fd, c);
        }
        break;
    case Phase::Waiting:
        if ((events & EPOLLIN) != 0) {
            discard_input(fd, c); // bytes after the head, or the client's EOF: ignored
        }
        break;
    case Phase::Sending:
        if ((events & EPOLLIN) != 0) {
            discard_input(fd, c);
        }
        if ((events & EPOLLOUT) != 0) {
            continue_sending(fd, c);
        }
        break;
    case Phase::Free:
        break;
    }
    // The FIN may have come with the request, in this very event: the check is after the switch.
    if ((events & EPOLLRDHUP) != 0 && c.phase == Phase::Waiting) {
        on_peer_finished(fd, c);
    }
}

// Over max_connections: a 503 right away, sent without waiting for the request (on a fresh
// socket the kernel takes it whole), then the request is read and dropped if it is already here,
// so the close sends FIN rather than a reset. One that comes later meets a closed socket; the
// client has the 503 by then.
void Loop::turn_away(Fd fd) {
    build_response(response_, 503, "too many connections, try again later\n");
    [[maybe_unused]] const ssize_t sent =
        ::send(fd.get(), response_.data(), response_.size(), MSG_NOSIGNAL);
    for (std::size_t drained = 0; drained < kMaxDiscardBytes;) {
        const ssize_t n = ::recv(fd.get(), buffer_.data(), buffer_.size(), 0);
        if (n <= 0) {
            break;
        }
        drained += static_cast<std::size_t>(n);
    }
} // fd closes here

// Waiting, and the client has sent its FIN: it either closed (gone for good) or only shut down
// its sending side (it still wants the answer). Sending the answer's first byte now tells them
// apart: a closed socket answers it with a reset, which arrives as EPOLLHUP and closes the
// connection (see the top of this file).
void Loop::on_peer_finished(int fd, Connection& c) {
    if (c.sent_first_byte) {
        return;
    }
    build_response(response_, 200, c.data);
    ssize_t n;
    do {
        n = ::send(fd, response_.data(), 1, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n == 1) {
        c.sent_first_byte = true;
    } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
        close_connection(fd, c); // EPIPE, ECONNRESET: the client is gone already
    }
}

// Reading: gathers the request head until it is complete, rejected, or the socket is empty.
void Loop::read_head(int fd, Connection& c) {
    for (;;) {
        const ssize_t n = ::recv(fd, buffer_.data(), buffer_.size(), 0);
        if (n > 0) {
            const std::string_view chunk(buffer_.data(), static_cast<std::size_t>(n));
            // A short read emptied the socket; anything arriving later raises a new edge. A full
            // read may have left bytes behind that no event will announce.
            c.input_pending = chunk.size() == buffer_.size();
            std::optional<Request> request = judge(c, chunk);
            if (!request) {
                // Read on even after a short read: it proves no more *data*, but the client's EOF
                // may have arrived with the data, and that raises no edge of its own.
                continue;
            }
            if (request->status != 200) {
                send_error(fd, c, request->status, request->why);
            } else {
                start_waiting(fd, c, std::move(*request));
            }
            return;
        }
        if (n == 0) {
            // EOF before a complete head: the client can never finish it, nothing to answer.
            close_connection(fd, c);
            return;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return; // the rest comes with the next edge, or the idle deadline answers 408
        }
        close_connection(fd, c); // ECONNRESET and the like
        return;
    }
}

// Feeds what just arrived to the connection's parser. The common case, the whole head in one read,
// needs no parser of its own: a temporary one judges it in place. Only a head that stays
// incomplete gets one on the heap, which then sees each later byte once.
std::optional<Request> Loop::judge(Connection& c, std::string_view chunk) {
    HeadParser first(options_.max_path_bytes);
    HeadParser& parser = c.head ? *c.head : first;
    const std::size_t work_before = parser.work();
    std::optional<Request> request = parser.feed(chunk);
    // Relaxed: a count for tests, read after the fact; nothing else is published with it.
    head_bytes_examined_.fetch_add(parser.work() - work_before, std::memory_order_relaxed);
    if (!request && !c.head) {
        c.head = std::make_unique<HeadParser>(std::move(first));
    }
    return request;
}

// Waiting: a valid request. It is logged now, as the book's server does, and answered when its
// deadline, counted from now, comes up in the heap.
void Loop::start_waiting(int fd, Connection& c, Request request) {
    const std::uint64_t number = ++requests_;
    if (!options_.quiet) {
        std::string line = "#";
        line += std::to_string(number);
        line += " - ";
        line += std::to_string(request.delay_ms);
        line += "ms: ";
        line += loggable(request.message);
        println(line);
    }
    // The delay runs from when the head arrived, that is now; not from the start of this turn of
    // the loop, which may have begun a while ago during a burst.
    const Clock::time_point due = Clock::now() + std::chrono::milliseconds(request.delay_ms);
    c.data.swap(request.message);
    c.head.reset(); // the parser of a head that came in pieces
    c.phase = Phase::Waiting;
    deadlines_.push(Deadline{due, fd, c.generation, Phase::Waiting});
}

// Bad requests are answered at once, with the reason as the body, and then closed.
void Loop::send_error(int fd, Connection& c, int status, std::string_view why) {
    c.head.reset();
    std::string body(why);
    body += '\n';
    build_response(response_, status, body);
    send_response(fd, c, false);
}

// Hands response_ to the kernel with one send(), which is nearly always enough: our answers are
// small and a fresh socket's send buffer is large. Whatever does not fit waits for EPOLLOUT.
// MSG_NOSIGNAL: writing to a connection the client has reset would otherwise raise SIGPIPE, whose
// default action kills the whole process (and, in-process, the test or chapter program with it).
// With the flag the write fails with EPIPE, and that connection alone is closed.
void Loop::send_response(int fd, Connection& c, bool ok, std::size_t already_sent) {
    c.ok_answer = ok;
    ssize_t n;
    do {
        n = ::send(fd, response_.data() + already_sent, response_.size() - already_sent,
                   MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        close_connection(fd, c); // EPIPE, ECONNRESET: the client is gone
        return;
    }
    const std::size_t sent = already_sent + (n < 0 ? 0 : static_cast<std::size_t>(n));
    if (sent == response_.size()) {
        finish(fd, c);
        return;
    }
    std::string rest(std::string_view(response_).substr(sent));
    c.data.swap(rest);
    c.phase = Phase::Sending;
    epoll_event event{};
    event.events = EPOLLIN | EPOLLOUT | EPOLLET;
    event.data.u64 = (std::uint64_t{c.generation} << 32) | static_cast<std::uint32_t>(fd);
    if (::epoll_ctl(epoll_, EPOLL_CTL_MOD, fd, &event) != 0) {
        close_connection(fd, c);
        return;
    }
    // A client that stops reading would hold the connection forever; it gets the idle timeout.
    deadlines_.push(Deadline{now_ + options_.idle_timeout, fd, c.generation, Phase::Sending});
}

// Sending: EPOLLOUT says there is room again.
void Loop::continue_sending(int fd, Connection& c) {
    while (!c.data.empty()) {
        const ssize_t n = ::send(fd, c.data.data(), c.data.size(), MSG_NOSIGNAL);
        if (n >= 0) {
            c.data.erase(0, static_cast<std::size_t>(n));
            continue;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            close_connection(fd, c);
        }
        return; // EAGAIN: the next edge brings more room
    }
    finish(fd, c);
}

void Loop::finish(int fd, Connection& c) {
    if (c.ok_answer) {
        // Relaxed: a count, read as a rough figure or after stop(), whose join orders it.
        answered_.fetch_add(1, std::memory_order_relaxed);
    }
    close_connection(fd, c);
}

// Reads and throws away input we do not want (bytes after the head, a client's EOF), bounded so
// a client that keeps sending cannot hold the thread; whatever is left stays noted as pending.
void Loop::discard_input(int fd, Connection& c) {
    std::size_t discarded = 0;
    while (discarded < kMaxDiscardBytes) {
        const ssize_t n = ::recv(fd, buffer_.data(), buffer_.size(), 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0 || static_cast<std::size_t>(n) < buffer_.size()) {
            c.input_pending = false; // empty now (EAGAIN, a short read), at EOF, or failed
            return;
        }
        discarded += static_cast<std::size_t>(n);
    }
    c.input_pending = true;
}

// The one place a connection ends. close() also removes the descriptor from the epoll set.
// We close without shutdown(): the answer is already in the send buffer, and close() sends it,
// then FIN. A client still sending after this point gets a reset, which is its own doing.
void Loop::close_connection(int fd, Connection& c) {
    if (c.input_pending) {
        discard_input(fd, c);
    }
    c.fd.reset();
    c.phase = Phase::Free;
    c.input_pending = false;
    c.ok_answer = false;
    c.sent_first_byte = false;
    --open_;
    std::string().swap(c.data); // give the buffer back, not just empty it
    c.head.reset();
    if (!accepting_) {
        resume_accepting(); // one descriptor is free again
    }
}

// Does whatever is due: answers whose delay has passed, idle connections (408), clients that
// stopped reading, a paused accept's retry.
void Loop::run_due_deadlines() {
    while (!deadlines_.empty() && deadlines_.top().when <= now_) {
        const Deadline due = deadlines_.top();
        deadlines_.pop();
        if (due.fd < 0) {
            if (!accepting_) {
                resume_accepting();
            }
            continue;
        }
        Connection& c = connections_[static_cast<std::size_t>(due.fd)];
        if (c.phase != due.phase || c.generation != due.generation) {
            continue; // stale: the connection moved on, or closed and the number was reused
        }
        switch (due.phase) {
        case Phase::Reading:
            send_error(due.fd, c, 408, "request head not complete within the idle timeout");
            break;
        case Phase::Waiting:
            build_response(response_, 200, c.data);
            send_response(due.fd, c, true, c.sent_first_byte ? 1 : 0);
            break;
        case Phase::Sending:
            close_connection(due.fd, c); // the client stopped reading its answer
            break;
        case Phase::Free:
            break;
        }
    }
}

} // namespace

// ---- DelayServer ------------------------------------------------------------------------------

DelayServer::DelayServer(DelayServerOptions options) : options_(std::move(options)) {
    const std::string asked = Endpoint{options_.host, options_.port}.to_string();
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(options_.port);
    const std::string host = options_.host == "localhost" ? "127.0.0.1" : options_.host;
    if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
        throw sys_error(EINVAL, "bind", asked); // not a numeric IPv4 address (or localhost)
    }

    // Non-blocking, so accept() in accept_all() can return EAGAIN when the backlog is empty.
    listener_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!listener_) {
        throw_errno("socket");
    }
    // A restarted `delayserver` can take its port again at once, although connections of the
    // previous run still linger in TIME_WAIT.
    const int one = 1;
    ::setsockopt(listener_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(listener_.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        throw_errno("bind", asked);
    }
    // SOMAXCONN (4096 on current kernels) rather than a small number: during a burst of thousands
    // of connects the backlog absorbs what the thread has not accepted yet. A full backlog drops
    // SYNs, and the client's retransmission comes a second or more later.
    if (::listen(listener_.get(), SOMAXCONN) != 0) {
        throw_errno("listen", asked);
    }
    socklen_t len = sizeof addr;
    if (::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        throw_errno("getsockname", asked);
    }
    endpoint_ = Endpoint{options_.host, ntohs(addr.sin_port)};

    epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
    if (!epoll_) {
        throw_errno("epoll_create1");
    }
    stop_event_.reset(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (!stop_event_) {
        throw_errno("eventfd");
    }
    epoll_event event{};
    event.events = EPOLLIN; // level-triggered, see Loop::accept_all
    event.data.u64 = kListenerToken;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, listener_.get(), &event) != 0) {
        throw_errno("epoll_ctl", "listener");
    }
    event.data.u64 = kStopToken;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, stop_event_.get(), &event) != 0) {
        throw_errno("epoll_ctl", "stop event");
    }
    thread_ = std::thread([this] { run(); });
}

DelayServer::~DelayServer() {
    stop();
}

void DelayServer::stop() {
    std::call_once(stopped_, [this] {
        // Wakes the thread out of epoll_wait. Writing 1 to an eventfd cannot fail: it only would
        // if the counter were about to overflow.
        const std::uint64_t one = 1;
        [[maybe_unused]] const ssize_t written = ::write(stop_event_.get(), &one, sizeof one);
        if (thread_.joinable()) {
            thread_.join(); // the thread's Loop has closed every connection on its way out
        }
        listener_.reset();
    });
}

std::uint64_t DelayServer::answered() const {
    return answered_.load(std::memory_order_relaxed);
}

std::uint64_t DelayServer::head_bytes_examined() const {
    return head_bytes_examined_.load(std::memory_order_relaxed);
}

void DelayServer::fail_for_test() {
    // Release: pairs with the acquire in run(), which reads the flag after the wake-up below.
    failing_for_test_.store(true, std::memory_order_release);
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t written = ::write(stop_event_.get(), &one, sizeof one);
}

void DelayServer::run() {
    try {
        Loop loop(listener_.get(), epoll_.get(), options_, answered_, head_bytes_examined_);
        loop.run(); // returns when the stop event is readable
        if (failing_for_test_.load(std::memory_order_acquire)) {
            throw std::runtime_error("epoll_wait: failure injected by a test");
        }
    } catch (const std::exception& e) {
        // Only an unusable epoll instance or memory exhaustion get here. No caller can receive it
        // on this thread, so say it; the connections close as `loop` unwinds, so no client hangs.
        eprintln(std::string("error: delay server: ") + e.what());
        // Nobody will accept() again, but the kernel would go on completing handshakes into the
        // backlog, and those clients would wait for their own deadline. shutdown() on a listening
        // socket takes it out of the LISTEN state without closing the descriptor (stop() still
        // owns that): the connections in the backlog are reset, new connects are refused.
        ::shutdown(listener_.get(), SHUT_RDWR);
    }
}

} // namespace common
