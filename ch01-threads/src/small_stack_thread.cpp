// Implementation of small_stack_thread.hpp: pthread_create with a stack-size attribute.
#include "small_stack_thread.hpp"

#include <common/error.hpp>

#include <exception>
#include <memory>
#include <utility>

namespace ch01 {
namespace {

// pthread_create wants a C function taking void*; the body travels through that pointer and the
// new thread takes ownership of it.
extern "C" void* run_body(void* raw) {
    const std::unique_ptr<std::function<void()>> body(static_cast<std::function<void()>*>(raw));
    try {
        (*body)();
    } catch (...) {
        std::terminate(); // the contract says `body` does not throw; std::thread does the same
    }
    return nullptr;
}

// pthread attributes must be destroyed on every path; a tiny RAII holder does that.
class Attributes {
public:
    Attributes() {
        if (const int err = pthread_attr_init(&attr_); err != 0) {
            throw common::sys_error(err, "pthread_attr_init");
        }
    }
    ~Attributes() { pthread_attr_destroy(&attr_); }
    Attributes(const Attributes&) = delete;
    Attributes& operator=(const Attributes&) = delete;
    pthread_attr_t* get() { return &attr_; }

private:
    pthread_attr_t attr_;
};

} // namespace

SmallStackThread::SmallStackThread(std::size_t stack_bytes, std::function<void()> body) {
    Attributes attr;
    if (stack_bytes != 0) {
        if (const int err = pthread_attr_setstacksize(attr.get(), stack_bytes); err != 0) {
            throw common::sys_error(err, "pthread_attr_setstacksize");
        }
    }
    auto owned = std::make_unique<std::function<void()>>(std::move(body));
    // pthread functions return the error number instead of setting errno.
    if (const int err = pthread_create(&handle_, attr.get(), run_body, owned.get()); err != 0) {
        throw common::sys_error(err, "pthread_create"); // `owned` still frees the body
    }
    owned.release(); // the thread owns it now
    joinable_ = true;
}

SmallStackThread::~SmallStackThread() {
    if (joinable_) {
        join();
    }
}

SmallStackThread::SmallStackThread(SmallStackThread&& other) noexcept
    : handle_(other.handle_), joinable_(std::exchange(other.joinable_, false)) {}

SmallStackThread& SmallStackThread::operator=(SmallStackThread&& other) noexcept {
    if (this != &other) {
        if (joinable_) {
            join(); // std::thread would terminate here; joining is the safer teaching default
        }
        handle_ = other.handle_;
        joinable_ = std::exchange(other.joinable_, false);
    }
    return *this;
}

void SmallStackThread::join() {
    if (!joinable_) {
        return;
    }
    // pthread_join can only fail for a thread that is not joinable or for a deadlock (joining
    // oneself); neither can happen through this class, so its result is not checked.
    pthread_join(handle_, nullptr);
    joinable_ = false;
}

} // namespace ch01
