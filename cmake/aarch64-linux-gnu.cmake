# Toolchain file for the `aarch64` preset: cross-compile for 64-bit Arm Linux with Debian's
# aarch64-linux-gnu-g++, and run the tests under qemu-user. Used to prove the AArch64 half of
# ch05's fiber context switch (ch05-coroutines/fibers/src/switch.S) and chapter 2's epoll_event
# layout on a second architecture without Arm hardware. What it needs (Debian/Ubuntu):
#
#     sudo apt-get install g++-aarch64-linux-gnu qemu-user
#
# Tests that start a child program (the chapter programs' tests) also need the kernel to run
# aarch64 binaries through qemu (binfmt_misc): see the top-level README's "Other architectures".
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_ASM_COMPILER aarch64-linux-gnu-gcc)

# Libraries and headers come from the cross sysroot; programs (the build's own tools) from the host.
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
# doctest is header-only: the host's package (doctest-dev) serves the cross build as well, so
# CMake may look for its package configuration outside the sysroot.
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)

# ctest (and doctest's test discovery at build time) run every test binary through qemu, with the
# sysroot as the dynamic loader's root.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -L /usr/aarch64-linux-gnu)
