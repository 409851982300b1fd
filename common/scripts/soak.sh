#!/usr/bin/env bash
# Reliability check (soak): sends WAVES x PER_WAVE requests through one external delay server,
# PER_WAVE at a time, with a chapter program's load mode (ch02 by default), and samples the
# server's resident memory (VmRSS) and open descriptors (/proc/<pid>/fd) before, between and after
# the waves. Passes when every request succeeded, the descriptors came back exactly to their
# starting count, the RSS to within RSS_TOLERANCE_KIB of its start, and the second half of the
# waves added no more than GROWTH_LIMIT_KIB to what the first half left. Release build in
# build/soak. Loopback only.
#
#   common/scripts/soak.sh [WAVES] [PER_WAVE] [DELAY_MS]     default 20 5000 50 (100,000 requests)
#   DRIVER=ch01 common/scripts/soak.sh ...                  drive with another chapter's load mode
#
# Why two memory checks. The server keeps, per connection, an idle-timeout deadline in its deadline
# heap for the whole idle timeout (5 s), even after the connection has closed: stale entries are
# skipped when due rather than searched for and removed (see delay_server.cpp). So the heap's
# high-water mark, which the process keeps, is up to 24 bytes times the connections of the last
# 5 s: at most 100,000 x 24 B = 2.3 MiB here, however fast the machine. That is not a leak, hence
# the 3 MiB tolerance. A leak grows with every request instead, so the run pauses between its two
# halves for longer than the idle timeout (the stale deadlines drain) and checks that the second
# half, which reuses the memory the first half left, adds (almost) nothing.
set -euo pipefail
cd "$(dirname "$0")/../.."

waves="${1:-20}"
per_wave="${2:-5000}"
delay_ms="${3:-50}"
driver="${DRIVER:-ch02}"
rss_tolerance_kib="${RSS_TOLERANCE_KIB:-3072}"
growth_limit_kib="${GROWTH_LIMIT_KIB:-512}"
pause_s="${PAUSE_S:-6}" # longer than the delay server's 5 s idle timeout
for n in "$waves" "$per_wave" "$delay_ms" "$rss_tolerance_kib" "$growth_limit_kib" "$pause_s"; do
    if ! [[ "$n" =~ ^[0-9]+$ ]] || ((n > 1000000)); then
        echo "error: usage: common/scripts/soak.sh [WAVES] [PER_WAVE] [DELAY_MS]" >&2
        exit 2
    fi
done
case "$driver" in
ch01) folder=ch01-threads ;;
ch02) folder=ch02-epoll-reactor ;;
ch03) folder=ch03-leaf-futures ;;
ch04) folder=ch04-executor ;;
ch05) folder=ch05-coroutines ;;
*)
    echo "error: DRIVER: expected ch01..ch05, got '$driver'" >&2
    exit 2
    ;;
esac

# ---- build (release, only the two programs) -------------------------------------------------
build="build/soak/$driver"
tests_option="$(echo "$folder" | tr 'a-z-' 'A-Z_')_BUILD_TESTS=OFF"
cmake -S "$folder" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -D"$tests_option" >/dev/null
cmake --build "$build" --target delayserver "$folder" >/dev/null
server_bin="$build/common/delayserver"
driver_bin="$build/$folder"

# ---- start the server and read its port ------------------------------------------------------
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

ulimit -n "$(ulimit -Hn)" # each wave holds PER_WAVE connections on each side
# shellcheck source=start_delayserver.sh
source common/scripts/start_delayserver.sh
start_delayserver "$server_bin" "$work/server.log"

# ---- sampling ------------------------------------------------------------------------------------
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$server_pid/status"; }
fd_count() { find "/proc/$server_pid/fd" -mindepth 1 -maxdepth 1 | wc -l; }
threads() { awk '/^Threads:/ { print $2 }' "/proc/$server_pid/status"; }

# Closing is the server's last step after its answer reaches the client, so give the last few
# connections of a wave a moment (at most 5 s) to go before a descriptor count is taken.
settle() {
    local want="$1"
    for _ in $(seq 50); do
        (($(fd_count) <= want)) && return 0
        sleep 0.1
    done
}

start_rss=$(rss_kib)
start_fds=$(fd_count)
echo "soak: $waves waves x $per_wave requests (delay ${delay_ms} ms) by $driver load mode" \
    "through delayserver pid $server_pid on 127.0.0.1:$port; load average:" \
    "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-7s %7s %11s %16s %15s %11s %8s\n' wave ok elapsed_ms client_rss_kib \
    server_rss_kib server_fds threads
printf '%-7s %7s %11s %16s %15s %11s %8s\n' before - - - "$start_rss" "$start_fds" "$(threads)"

failures=0
first_wave_rss=""
half_rss=""
half=$(((waves + 1) / 2))
started=$(date +%s%N)
for wave in $(seq "$waves"); do
    if ((wave == half + 1)); then
        sleep "$pause_s"
        half_rss=$(rss_kib)
        printf '%-7s %7s %11s %16s %15s %11s %8s\n' "pause" - - - "$half_rss" "$(fd_count)" \
            "$(threads)"
    fi
    status=0
    summary=$("$driver_bin" --server "127.0.0.1:$port" --requests "$per_wave" \
        --delay-ms "$delay_ms" --timeout-ms 60000 2>"$work/driver.err") || status=$?
    ok=$(sed -n 's/.* ok=\([0-9]*\).*/\1/p' <<<"$summary")
    elapsed=$(sed -n 's/.* elapsed_ms=\([0-9]*\).*/\1/p' <<<"$summary")
    client_rss=$(sed -n 's/.* peak_rss_kib=\([0-9]*\).*/\1/p' <<<"$summary")
    if ((status != 0)) || [[ "${ok:-0}" != "$per_wave" ]]; then
        failures=$((failures + 1))
        echo "wave $wave failed (exit $status): $(grep '^error:' "$work/driver.err" | head -n 1)" >&2
    fi
    settle "$start_fds"
    rss=$(rss_kib)
    first_wave_rss="${first_wave_rss:-$rss}"
    printf '%-7s %7s %11s %16s %15s %11s %8s\n' "$wave" "${ok:-?}" "${elapsed:-?}" \
        "${client_rss:-?}" "$rss" "$(fd_count)" "$(threads)"
done
total_ms=$((($(date +%s%N) - started) / 1000000 - (waves > half ? pause_s * 1000 : 0)))

sleep 1 # idle for a moment: whatever the server frees late is freed by now
settle "$start_fds"
end_rss=$(rss_kib)
end_fds=$(fd_count)
printf '%-7s %7s %11s %16s %15s %11s %8s\n' after - - - "$end_rss" "$end_fds" "$(threads)"
echo "requests: $((waves * per_wave)) in ${total_ms} ms (pause excluded); server RSS" \
    "$start_rss -> $end_rss KiB (after wave 1: $first_wave_rss, after the pause:" \
    "${half_rss:-n/a}), descriptors $start_fds -> $end_fds"

verdict=PASS
if ((failures > 0)); then
    echo "FAIL: $failures wave(s) had failed requests"
    verdict=FAIL
fi
if ((end_fds != start_fds)); then
    echo "FAIL: the server holds $((end_fds - start_fds)) descriptor(s) more than at the start"
    verdict=FAIL
fi
if ((end_rss > start_rss + rss_tolerance_kib)); then
    echo "FAIL: server RSS grew by $((end_rss - start_rss)) KiB (tolerance $rss_tolerance_kib KiB)"
    verdict=FAIL
fi
if [[ -n "$half_rss" ]] && ((end_rss > half_rss + growth_limit_kib)); then
    echo "FAIL: the second half of the waves grew the server's RSS by $((end_rss - half_rss)) KiB" \
        "(limit $growth_limit_kib KiB): memory grows with the number of requests"
    verdict=FAIL
fi
echo "$verdict"
[[ "$verdict" == PASS ]]
