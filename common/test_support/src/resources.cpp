// Test support for resource accounting: the open-descriptor counter every leak check uses, and a
// port that is certain to refuse connections (bound, never listening).
#include "common/test_support/resources.hpp"

#include "common/error.hpp"

#include <cstring>
#include <string>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>

namespace common::test {

std::size_t open_descriptor_count() {
    // Reading the directory needs a descriptor of its own, which shows up in the listing; it is
    // skipped by number so the count is what the process had open before the call.
    DIR* dir = opendir("/proc/self/fd");
    if (dir == nullptr) {
        throw_errno("opendir", "/proc/self/fd");
    }
    const int own = dirfd(dir);
    const std::string own_name = std::to_string(own);
    std::size_t count = 0;
    while (const dirent* entry = readdir(dir)) {
        const char* name = entry->d_name;
        if (std::strcmp(name, ".") == 0 || std::strcmp(name, "..") == 0 || name == own_name) {
            continue;
        }
        ++count;
    }
    closedir(dir);
    return count;
}

RefusedPort::RefusedPort() {
    // A socket bound to a port but never put in the listening state owns the port (nobody else can
    // bind it while we hold it), and the kernel answers a SYN to it with RST: ECONNREFUSED.
    socket_.reset(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!socket_) {
        throw_errno("socket");
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0; // the kernel picks a free one
    if (bind(socket_.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) < 0) {
        throw_errno("bind", "127.0.0.1:0");
    }
    socklen_t len = sizeof addr;
    if (getsockname(socket_.get(), reinterpret_cast<sockaddr*>(&addr), &len) < 0) {
        throw_errno("getsockname");
    }
    port_ = ntohs(addr.sin_port);
}

} // namespace common::test
