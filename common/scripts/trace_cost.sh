#!/usr/bin/env bash
# common/scripts/trace_cost.sh: what the trace hooks (common/include/common/trace.hpp) cost when
# they are compiled in but tracing is not enabled, counted in instructions rather than time, so
# the answer does not depend on how busy the machine is. Builds ch04-executor twice, as
# common/scripts/bench.sh does — build/release with the hooks, build/release-notrace configured
# with -DASYNC_TRACE=OFF — starts one delay server, then runs ch04's load mode under
# `valgrind --tool=callgrind` in each build, alternating, and prints the instructions each run
# executed (all threads of the process; the delay server is a separate process and not counted).
#
#   common/scripts/trace_cost.sh                 # 1,000 requests x 1000 ms, 3 runs of each build
#   REQUESTS=100 RUNS=1 common/scripts/trace_cost.sh
#
# The counts are not identical from run to run even in one build: how many answers one
# epoll_wait returns depends on timing, and with it the number of polls and wakes. Compare the
# two builds' spread, not two single runs.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${BENCH_BUILD_DIR:-$root/build/release}"
notrace_build="$build-notrace"
requests="${REQUESTS:-1000}"
runs="${RUNS:-3}"

if ! command -v valgrind >/dev/null; then
    echo "error: valgrind: not installed (Debian/Ubuntu: apt-get install valgrind)" >&2
    exit 1
fi

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=g++ >/dev/null
cmake --build "$build" --target ch04-executor delayserver >/dev/null
cmake -S "$root" -B "$notrace_build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=g++ \
    -DASYNC_TRACE=OFF >/dev/null
cmake --build "$notrace_build" --target ch04-executor >/dev/null

# shellcheck source=start_delayserver.sh
source "$root/common/scripts/start_delayserver.sh"
work="$(mktemp -d)"
server_pid=""
trap '[[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null; rm -rf "$work"' EXIT
start_delayserver "$build/common/delayserver" "$work/server.log" # sets server_pid and port
address="127.0.0.1:$port"

# count LABEL PROGRAM: one run under callgrind; prints the label, the instructions and the summary.
count() {
    local label="$1" program="$2"
    local summary
    summary="$(valgrind --tool=callgrind --callgrind-out-file=/dev/null --log-file="$work/vg.log" \
        "$program" --server "$address" --requests "$requests" --delay-ms 1000)"
    local instructions
    instructions="$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$work/vg.log")"
    printf '%-26s %'"'"'15d instructions   %s\n' "$label" "$instructions" "$summary"
}

echo "ch04-executor --server $address --requests $requests --delay-ms 1000, under callgrind:"
for _ in $(seq "$runs"); do
    count "hooks compiled in, off" "$build/ch04-executor/ch04-executor"
    count "hooks compiled out" "$notrace_build/ch04-executor/ch04-executor"
done
