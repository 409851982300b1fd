// use_stack(kib): a recursion that uses about `kib` KiB of the stack it runs on, one 1 KiB frame
// per level. The program's --overflow-kib (main.cpp) runs it on a fiber to show what running off
// the end of a fiber's stack looks like, and the stack pool's tests run it on a reused stack to
// show the guard page still catches that.
#pragma once

namespace ch05::fibers {

// The volatile frame and the work after the call keep the compiler from turning the recursion
// into a loop (which would use no stack at all).
inline int use_stack(int kib) {
    volatile char frame[1024];
    frame[0] = static_cast<char>(kib);
    if (kib <= 1) {
        return frame[0];
    }
    return use_stack(kib - 1) + frame[0];
}

} // namespace ch05::fibers
