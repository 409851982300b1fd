#!/usr/bin/env bash
# Regenerates every committed timeline picture (chNN-*/timeline*.svg) from fresh traces: builds
# the programs and tracesvg (default preset), runs each demo with --trace against its embedded
# delay server, and draws one part of it. The pictures differ from run to run only in timings.
#
#   common/scripts/timelines.sh            # from the repository's root or anywhere inside it
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
build="build/default"
cmake --preset default >/dev/null
cmake --build --preset default --target ch02-epoll-reactor ch03-leaf-futures ch04-executor ch05-coroutines tracesvg

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# draw PROGRAM ARGS PART CAPTION OUTPUT: one run, one picture (runs are cached by their args); an
# empty PART draws the whole run
draw() {
    local program="$1" args="$2" part="$3" caption="$4" output="$5"
    local trace="$work/$(echo "$program $args" | tr -c 'a-zA-Z0-9' '_').json"
    if [[ ! -f "$trace" ]]; then
        # shellcheck disable=SC2086 # $args is a list of words
        "$build/$program" $args --trace "$trace" >/dev/null 2>&1
    fi
    local part_args=()
    if [[ -n "$part" ]]; then
        part_args=(--part "$part")
    fi
    "$build/common/tracesvg" "${part_args[@]}" --caption "$caption" "$trace" >"$output"
    echo "wrote $output"
}

draw ch02-epoll-reactor/ch02-epoll-reactor "--scale 10" "" \
    "ch02-epoll-reactor --scale 10: five requests (delays 500 to 100 ms), one thread, one epoll_wait loop" \
    ch02-epoll-reactor/timeline.svg
draw ch03-leaf-futures/ch03-leaf-futures "" "Part 3b" \
    "ch03-leaf-futures (no arguments), part 3b: five requests under join_all, answers 100 ms apart" \
    ch03-leaf-futures/timeline.svg
draw ch04-executor/ch04-executor "--scale 4" "Part 2" \
    "ch04-executor --scale 4, part 2: one executor, five tasks (delays 0 to 1000 ms)" \
    ch04-executor/timeline.svg
draw ch04-executor/ch04-executor "--scale 4" "Part 3" \
    "ch04-executor --scale 4, part 3: three executors on three threads share one reactor" \
    ch04-executor/timeline-executors.svg
draw ch05-coroutines/ch05-coroutines "--scale 4" "Part 2" \
    "ch05-coroutines --scale 4, part 2: five spawned coroutine tasks on one executor" \
    ch05-coroutines/timeline.svg
