#!/usr/bin/env bash
# Lets the kernel run aarch64 Linux programs through qemu-user (binfmt_misc), so that a test
# binary built by the `aarch64` preset can start a child aarch64 program (the chapter programs'
# tests do) instead of failing with "Exec format error". ctest itself needs nothing of this: it
# starts each test binary through CMAKE_CROSSCOMPILING_EMULATOR (cmake/aarch64-linux-gnu.cmake).
#
# Needs root. Idempotent: does nothing when an aarch64 handler is already registered. Flag F makes
# the kernel open qemu-aarch64 now, so the handler works in any mount namespace; the loader and
# libraries of the aarch64 programs come from QEMU_LD_PREFIX (the `aarch64` test preset sets it to
# /usr/aarch64-linux-gnu).
set -euo pipefail

dir=/proc/sys/fs/binfmt_misc
qemu=$(command -v qemu-aarch64) || { echo "error: qemu-aarch64: not installed (apt-get install qemu-user)" >&2; exit 1; }

if [ ! -e "$dir/register" ]; then
    mount -t binfmt_misc binfmt_misc "$dir"
fi
if ls "$dir" | grep -q aarch64; then
    echo "binfmt_misc: an aarch64 handler is registered already"
    exit 0
fi
# The ELF header of a 64-bit little-endian aarch64 executable (machine 0xb7), and the mask of the
# bytes that must match.
magic='\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00'
mask='\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff'
echo ":qemu-aarch64:M::${magic}:${mask}:${qemu}:F" > "$dir/register"
echo "binfmt_misc: registered $qemu for aarch64 programs"
