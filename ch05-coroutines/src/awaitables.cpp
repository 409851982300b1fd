// Implementation of awaitables.hpp.
#include "awaitables.hpp"

#include "ch04-executor/src/http_get_future.hpp"

namespace ch05 {

FutureAwaiter<std::string> http_get(std::string path) {
    Runtime& runtime = Runtime::current();
    return http_get(runtime.server(), std::move(path));
}

FutureAwaiter<std::string> http_get(common::Endpoint server, std::string path) {
    Runtime& runtime = Runtime::current();
    return FutureAwaiter<std::string>(
        std::make_unique<ch04::HttpGetFuture>(runtime.reactor(), std::move(server), std::move(path),
                                              runtime.options().announce_first_poll));
}

FutureAwaiter<void> sleep_for(std::chrono::milliseconds duration) {
    return FutureAwaiter<void>(std::make_unique<LazySleep>(Runtime::current().reactor(), duration));
}

} // namespace ch05
