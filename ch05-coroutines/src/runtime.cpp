// Implementation of runtime.hpp.
#include "runtime.hpp"

#include <atomic>
#include <stdexcept>
#include <utility>

namespace ch05 {
namespace {

// The current runtime. Executors on several threads read it (every http_get does), so it is an
// atomic. The constructor installs itself with a compare-exchange, acq_rel on success: its release
// half pairs with the acquire load in current(), so a thread that sees the pointer sees a fully
// constructed Runtime (its reactor thread running); its acquire half pairs with the release store
// of nullptr in the previous ~Runtime, so whatever happened under the old runtime happens before
// the new one is installed. (On failure it reads with acquire ordering and stores nothing.)
std::atomic<Runtime*> current_runtime{nullptr};

} // namespace

Runtime::Runtime(common::Endpoint server) : Runtime(std::move(server), Options{}) {}

Runtime::Runtime(common::Endpoint server, Options options)
    : server_(std::move(server)), options_(options) {
    Runtime* expected = nullptr;
    if (!current_runtime.compare_exchange_strong(expected, this, std::memory_order_acq_rel)) {
        // reactor_ is already running; its destructor stops it again as this constructor throws.
        throw std::logic_error("ch05: a ch05::Runtime exists already (one per process)");
    }
}

Runtime::~Runtime() {
    // Release: whatever this thread did with the runtime happens before a later Runtime is seen.
    // The reactor member is destroyed after this body, once nobody can find it any more.
    current_runtime.store(nullptr, std::memory_order_release);
}

Runtime& Runtime::current() {
    Runtime* runtime = current_runtime.load(std::memory_order_acquire);
    if (runtime == nullptr) {
        throw std::logic_error("ch05: no ch05::Runtime: create one (it owns the reactor) before "
                               "awaiting http_get, sleep_for or with_timeout");
    }
    return *runtime;
}

} // namespace ch05
