#!/usr/bin/env bash
# common/scripts/bench.sh: the one command that reproduces the benchmark (common/bench/README.md). Configures a release build (the
# `release` preset's settings, in build/release unless BENCH_BUILD_DIR says otherwise), builds only
# what the benchmark runs — every chapter program, the delay server, the driver and, when asio is
# installed, the asio reference client — then runs the driver (common/bench) with the arguments
# given, e.g. `common/scripts/bench.sh --runs 5` or `common/scripts/bench.sh --check`.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${BENCH_BUILD_DIR:-$root/build/release}"

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=g++ >/dev/null

# Each chapter's program is named like its folder; common/bench/all is the driver plus, when asio
# was found, the asio client (a Ninja per-directory target).
targets=(delayserver common/bench/all)
for dir in "$root"/ch[0-9][0-9]-*/; do
    name="$(basename "$dir")"
    if [[ -f "$dir/CMakeLists.txt" ]]; then
        targets+=("$name")
    fi
done
cmake --build "$build" --target "${targets[@]}"

exec "$build/common/bench/bench" "$@"
