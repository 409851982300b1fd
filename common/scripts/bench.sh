#!/usr/bin/env bash
# common/scripts/bench.sh: the one command that reproduces the benchmark (common/bench/README.md).
# Configures a release build (the `release` preset's settings, in build/release unless
# BENCH_BUILD_DIR says otherwise), builds only what the benchmark runs — every chapter program,
# the delay server, the driver and, when asio is installed, the asio reference client — then runs
# the driver (common/bench) with the arguments given, e.g. `common/scripts/bench.sh --runs 5` or
# `common/scripts/bench.sh --check`. A full run rewrites common/bench/results.txt and the chart.
# A second release build beside it (the same directory's name + `-notrace`) has the trace hooks
# compiled out (-DASYNC_TRACE=OFF); only ch04's and ch05's programs are built there, for the
# driver's control rows ch04-notrace and ch05-notrace.
#
# `common/scripts/bench.sh --update-docs` (or `--check-docs`) runs no benchmark: it builds only
# the driver and rewrites (or checks) every README's benchmark figures from the results file.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${BENCH_BUILD_DIR:-$root/build/release}"
notrace_build="$build-notrace"

docs_only=false
for arg in "$@"; do
    if [[ "$arg" == "--update-docs" || "$arg" == "--check-docs" ]]; then
        docs_only=true
    fi
done

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=g++ >/dev/null

if [[ "$docs_only" == true ]]; then
    cmake --build "$build" --target bench
    exec "$build/common/bench/bench" --root "$root" "$@"
fi

# Each chapter's program is named like its folder; common/bench/all is the driver plus, when asio
# was found, the asio client (a Ninja per-directory target).
targets=(delayserver common/bench/all)
for dir in "$root"/ch[0-9][0-9]-*/; do
    name="$(basename "$dir")"
    if [[ -f "$dir/CMakeLists.txt" ]]; then
        targets+=("$name")
    fi
done
# ch05-coroutines builds a second program, ch05-fibers (ch05-coroutines/fibers), the `fibers` row.
targets+=(ch05-fibers)
cmake --build "$build" --target "${targets[@]}"

# The same programs with the trace hooks compiled out, where the driver looks for them by default.
cmake -S "$root" -B "$notrace_build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=g++ \
    -DASYNC_TRACE=OFF >/dev/null
cmake --build "$notrace_build" --target ch04-executor ch05-coroutines

exec "$build/common/bench/bench" "$@"
