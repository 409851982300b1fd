#!/usr/bin/env bash
# Reliability check (idle runtime): a chapter program whose requests wait on a long delay must
# sleep in epoll_wait / on its parker, not spin. Runs `<chapter> --server ... --requests 10
# --delay-ms DELAY_MS` (release build in build/idle/) against an external delay server and
# measures, over the wait, the CPU time (utime + stime of all threads, /proc/<pid>/stat) and the
# wake-ups (context switches of all threads) of the program, and of the delay server itself, first
# idle and then holding the waiting requests. Passes when every CPU figure is below
# CPU_LIMIT_MS (default 50) and the program's requests all succeeded. Loopback only.
#
#   common/scripts/idle_cpu.sh [DELAY_MS] [CHAPTER...]    default 5000 ch04 ch05 (chapters that exist)
set -euo pipefail
cd "$(dirname "$0")/../.."

delay_ms="${1:-5000}"
shift || true
cpu_limit_ms="${CPU_LIMIT_MS:-50}"
if ! [[ "$delay_ms" =~ ^[0-9]+$ ]] || ((delay_ms < 2000 || delay_ms > 600000)); then
    echo "error: usage: common/scripts/idle_cpu.sh [DELAY_MS (2000..600000)] [CHAPTER...]" >&2
    exit 2
fi
chapters=("$@")
((${#chapters[@]})) || chapters=(ch04 ch05)

folder_of() {
    case "$1" in
    ch01) echo ch01-threads ;;
    ch02) echo ch02-epoll-reactor ;;
    ch03) echo ch03-leaf-futures ;;
    ch04) echo ch04-executor ;;
    ch05) echo ch05-coroutines ;;
    *) return 1 ;;
    esac
}

ticks_per_s=$(getconf CLK_TCK)
# CPU time of a whole process in ms: fields 14 and 15 of /proc/<pid>/stat (utime, stime, in clock
# ticks) cover all its threads. The command name (field 2) may hold spaces, so cut after ')'.
cpu_ms() { awk -v t="$ticks_per_s" '{ sub(/.*\) /, ""); print ($12 + $13) * 1000 / t }' \
    "/proc/$1/stat"; }
# Times any thread of the process was switched out: each time it blocked (voluntary) or was
# preempted. A runtime that sleeps properly adds almost none while it waits.
switches() { cat /proc/"$1"/task/*/status 2>/dev/null |
    awk '/ctxt_switches/ { n += $2 } END { print n + 0 }'; }
thread_count() { awk '/^Threads:/ { print $2 }' "/proc/$1/status"; }

work=$(mktemp -d)
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# ---- build every chapter asked for (release) -----------------------------------------------------
declare -A binary
server_bin=""
for chapter in "${chapters[@]}"; do
    folder=$(folder_of "$chapter") || {
        echo "error: unknown chapter '$chapter'" >&2
        exit 2
    }
    if [[ ! -f "$folder/CMakeLists.txt" ]]; then
        echo "skip: $folder does not exist yet"
        continue
    fi
    build="build/idle/$chapter"
    tests_option="$(echo "$folder" | tr 'a-z-' 'A-Z_')_BUILD_TESTS=OFF"
    cmake -S "$folder" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -D"$tests_option" >/dev/null
    cmake --build "$build" --target delayserver "$folder" >/dev/null
    binary[$chapter]="$build/$folder"
    server_bin="${server_bin:-$build/common/delayserver}"
done
if [[ -z "$server_bin" ]]; then
    echo "error: none of the chapters exists" >&2
    exit 1
fi

# shellcheck source=start_delayserver.sh
source common/scripts/start_delayserver.sh
start_delayserver "$server_bin" "$work/server.log"

echo "idle check: delay ${delay_ms} ms, limit ${cpu_limit_ms} ms CPU per window, load average:" \
    "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-34s %9s %9s %10s %8s  %s\n' process window_ms cpu_ms wakeups threads result
verdict=PASS
report() { # name window cpu wakeups threads
    local result=ok
    if (($(awk -v c="$3" -v l="$cpu_limit_ms" 'BEGIN { print (c >= l) }'))); then
        result="FAIL (>= ${cpu_limit_ms} ms)"
        verdict=FAIL
    fi
    printf '%-34s %9s %9s %10s %8s  %s\n' "$1" "$2" "$3" "$4" "$5" "$result"
}

# The window: from half a second after the start (connections made, requests sent) until half a
# second before the answers are due, so only the waiting is measured.
window_ms=$((delay_ms - 1000))
window_s=$(awk -v w="$window_ms" 'BEGIN { print w / 1000 }')

# 0. A control: the same sampling must see a busy loop's CPU time, or the zeros below prove nothing.
bash -c 'while :; do :; done' &
busy_pid=$!
busy_cpu0=$(cpu_ms "$busy_pid")
sleep 0.3
busy_cpu=$(($(cpu_ms "$busy_pid") - busy_cpu0))
kill "$busy_pid"
wait "$busy_pid" 2>/dev/null || true
printf '%-34s %9s %9s %10s %8s  %s\n' "control: a busy loop" 300 "$busy_cpu" - 1 \
    "$( ((busy_cpu > 0)) && echo "ok (CPU is seen)" || echo "FAIL (sampling sees no CPU)")"
((busy_cpu > 0)) || verdict=FAIL

# 1. The delay server with nothing to do.
cpu0=$(cpu_ms "$server_pid")
sw0=$(switches "$server_pid")
sleep "$window_s"
report "delayserver, idle" "$window_ms" "$(($(cpu_ms "$server_pid") - cpu0))" \
    "$(($(switches "$server_pid") - sw0))" "$(thread_count "$server_pid")"

# 2. Each chapter program while its 10 requests wait (and the server while it holds them).
for chapter in "${chapters[@]}"; do
    [[ -n "${binary[$chapter]:-}" ]] || continue
    "${binary[$chapter]}" --server "127.0.0.1:$port" --requests 10 --delay-ms "$delay_ms" \
        >"$work/$chapter.out" 2>"$work/$chapter.err" &
    pid=$!
    sleep 0.5
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "FAIL: $chapter ended before its requests were due:" >&2
        cat "$work/$chapter.out" "$work/$chapter.err" >&2
        verdict=FAIL
        continue
    fi
    p_cpu0=$(cpu_ms "$pid")
    p_sw0=$(switches "$pid")
    s_cpu0=$(cpu_ms "$server_pid")
    s_sw0=$(switches "$server_pid")
    sleep "$window_s"
    p_cpu=$(($(cpu_ms "$pid") - p_cpu0))
    p_sw=$(($(switches "$pid") - p_sw0))
    p_threads=$(thread_count "$pid")
    s_cpu=$(($(cpu_ms "$server_pid") - s_cpu0))
    s_sw=$(($(switches "$server_pid") - s_sw0))
    status=0
    wait "$pid" || status=$?
    report "$chapter, 10 requests waiting" "$window_ms" "$p_cpu" "$p_sw" "$p_threads"
    report "delayserver, holding 10 requests" "$window_ms" "$s_cpu" "$s_sw" \
        "$(thread_count "$server_pid")"
    if ((status != 0)) || ! grep -q ' ok=10 ' "$work/$chapter.out"; then
        echo "FAIL: $chapter's requests did not all succeed (exit $status):" >&2
        cat "$work/$chapter.out" "$work/$chapter.err" >&2
        verdict=FAIL
    else
        echo "    $(cat "$work/$chapter.out")"
    fi
done

echo "$verdict"
[[ "$verdict" == PASS ]]
