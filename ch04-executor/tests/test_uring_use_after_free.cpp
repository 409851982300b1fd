// What the ownership rule of uring_reactor.hpp prevents, shown rather than told: a child process
// (child/uring_use_after_free.cpp) frees a recv's buffer while the kernel still owns it, and
// AddressSanitizer catches the completion writing into freed memory; done right (cancel, then free
// after the completion) the same child is clean. Only meaningful in an ASan build (the asan
// preset): elsewhere the test reports itself skipped, since without ASan the corruption is silent.
#include "ch02-epoll-reactor/tests/ring_support.hpp"

#include <common/test_support/child_process.hpp>
#include <common/test_support/resources.hpp>

#include <doctest/doctest.h>

#if defined(__SANITIZE_ADDRESS__)
#define CH04_HAS_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CH04_HAS_ASAN 1
#endif
#endif

TEST_CASE("uring: freeing a buffer the kernel still owns is a use-after-free (ASan, child "
          "process), and cancelling then waiting for the completion is clean") {
#if !defined(CH04_HAS_ASAN)
    MESSAGE("SKIPPED: needs AddressSanitizer (build with the asan preset)");
    return;
#else
    if (ch02::test::skip_without_ring()) {
        return;
    }
    const auto broken = common::test::run_child(CH04_UAF_CHILD_PATH, {"free"});
    INFO("free: stderr:\n" << broken.err);
    CHECK(broken.status != 0);
    CHECK(common::test::contains(broken.err, "heap-use-after-free"));

    const auto right = common::test::run_child(CH04_UAF_CHILD_PATH, {"keep"});
    INFO("keep: stdout:\n" << right.out << "\nstderr:\n" << right.err);
    CHECK(right.status == 0);
    CHECK(right.out == "recv completed with -125\n"); // -ECANCELED
    CHECK_FALSE(common::test::contains(right.err, "AddressSanitizer"));
#endif
}
