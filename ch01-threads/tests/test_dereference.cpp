// Tests of book ch. 1's example (src/dereference.hpp): the hand-written load returns what is
// stored at the address, also right after a store; an address no page backs ends the process with
// SIGSEGV (in a child, so the test survives); `--example dereference` prints the book's 100.
#include "ch01-threads/src/dereference.hpp"
#include "ch01-threads/src/program.hpp"

#include <common/test_support/capture.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <csignal>
#include <sys/wait.h>
#include <unistd.h>

TEST_CASE("dereference returns the value stored at the address, as the book's 100") {
    const std::size_t t = 100;
    CHECK(ch01::dereference(&t) == 100);
    // Every bit of the 8 bytes comes through, not only the low ones.
    const std::size_t values[] = {0, 1, 0x0123456789abcdef,
                                  std::numeric_limits<std::size_t>::max()};
    for (const std::size_t& value : values) {
        CHECK(ch01::dereference(&value) == value);
    }
}

TEST_CASE("dereference reads memory at the moment it runs: a store just before is seen") {
    std::vector<std::size_t> cells(4, 0);
    for (std::size_t i = 0; i < cells.size(); ++i) {
        cells[i] = 1000 + i;
        CHECK(ch01::dereference(&cells[i]) == 1000 + i);
        cells[i] = 7;
        CHECK(ch01::dereference(&cells[i]) == 7);
    }
}

TEST_CASE("dereferencing an address that no page backs ends the process with SIGSEGV") {
    // The book's comment suggests an invented address (99999999999999) to make the program fail.
    // Any address may one day be mapped, except the lowest pages: Linux never maps below
    // vm.mmap_min_addr (4096 or more), so address 8 is certain to fault.
    const auto* unmapped = reinterpret_cast<const std::size_t*>(std::uintptr_t{8});
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        // The kernel's default action, so the child dies of the signal itself, as the book's
        // program does, and no handler (doctest's, a sanitizer's) turns it into something else.
        std::signal(SIGSEGV, SIG_DFL);
        const std::size_t value = ch01::dereference(unmapped);
        _exit(value == 12345 ? 3 : 2); // not reached; uses the value so the load is kept
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    CHECK(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGSEGV);
}

TEST_CASE("--example dereference prints the book's 100, exit status 0") {
    const char* argv[] = {"ch01-threads", "--example", "dereference", nullptr};
    common::test::CapturedOutput out(STDOUT_FILENO);
    common::test::CapturedOutput err(STDERR_FILENO);
    const int status = ch01::program_main(3, argv);
    const std::string error_text = err.finish();
    const std::string text = out.finish();
    CHECK(status == 0);
    CHECK(error_text.empty());
    CHECK(text.starts_with("=== Book ch. 1, ch01/a-assembly-dereference"));
    CHECK(text.find(" instruction:\n100\n") != std::string::npos);
    CHECK(text.ends_with("\n100\n"));
}

TEST_CASE("--example with an unknown name, or with other flags, is one error line and exit 1") {
    const char* unknown[] = {"ch01-threads", "--example", "nonsense", nullptr};
    const char* extra[] = {"ch01-threads", "--example", "dereference", "--requests", "5", nullptr};
    for (const auto& [argc, argv] : {std::pair{3, unknown}, std::pair{5, extra}}) {
        common::test::CapturedOutput out(STDOUT_FILENO);
        common::test::CapturedOutput err(STDERR_FILENO);
        const int status = ch01::program_main(argc, argv);
        const std::string error_text = err.finish();
        const std::string text = out.finish();
        CHECK(status == 1);
        CHECK(text.empty());
        CHECK(error_text.starts_with("error: --example: "));
        CHECK(error_text.find("dereference") != std::string::npos);
        CHECK(std::count(error_text.begin(), error_text.end(), '\n') == 1);
    }
}
