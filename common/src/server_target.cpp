// Implementation of common/server_target.hpp.
#include "common/server_target.hpp"

#include "common/print.hpp"
#include "common/resources.hpp"

namespace common {

ServerTarget::ServerTarget(const Options& opts, Mode mode) {
    if (mode == Mode::Load) {
        // One descriptor per client connection, one more per server-side connection when the
        // server lives in this process, and a few dozen for everything else.
        const std::size_t per_request = opts.server ? 1 : 2;
        require_descriptors(opts.requests * per_request + 64, !opts.server);
    }
    if (opts.server) {
        endpoint_ = *opts.server;
        return;
    }
    DelayServerOptions server_options;
    server_options.quiet = mode == Mode::Load;
    server_ = std::make_unique<DelayServer>(server_options);
    endpoint_ = server_->endpoint();
    const std::string line = "Using an embedded delay server on " + endpoint_.to_string() +
                             " (pass --server HOST:PORT to use your own).";
    if (mode == Mode::Demo) {
        println(line);
    } else {
        eprintln(line);
    }
}

} // namespace common
