// Which delay server a chapter program talks to: the one named by --server, or an embedded one
// started on 127.0.0.1 with a free port, announced in one line so the reader knows.
#pragma once

#include "common/cli.hpp"
#include "common/delay_server.hpp"
#include "common/net.hpp"

#include <memory>

namespace common {

class ServerTarget {
public:
    enum class Mode { Demo, Load };

    // Demo: announces an embedded server on stdout and lets it log each request as the book's
    // server does. Load: the embedded server is quiet, the announcement goes to stderr (stdout
    // carries only the summary line), and the descriptor limit is raised and checked for
    // `opts.requests` connections (two descriptors each when the server is embedded).
    ServerTarget(const Options& opts, Mode mode);

    const Endpoint& endpoint() const { return endpoint_; }
    bool embedded() const { return server_ != nullptr; }

private:
    std::unique_ptr<DelayServer> server_;
    Endpoint endpoint_;
};

} // namespace common
