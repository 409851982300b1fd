// A property check for the fuzz targets in common/fuzz/: when a property the parser promises does
// not hold, say which one and abort, so libFuzzer records the input as a crash (a plain assert
// would vanish in a build with NDEBUG). Used only by the fuzz targets, never by the library.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace common::fuzz {

// Aborts with `what` on stderr when `holds` is false. libFuzzer then writes the input that broke
// the property to crash-<sha1> in its working directory.
inline void check(bool holds, const char* what) {
    if (!holds) {
        std::fprintf(stderr, "fuzz property violated: %s\n", what);
        std::abort();
    }
}

} // namespace common::fuzz
