# Sourced by the scripts beside it (soak.sh, idle_cpu.sh): starts an external delay server on a free
# port and reads the port from its `listening on HOST:PORT` line, which it prints (and flushes)
# before anything else. Bounded: gives up after 10 s or as soon as the server has exited.
#
#   start_delayserver BINARY LOGFILE   sets server_pid and port, or prints an error and exits 1
start_delayserver() {
    local binary=$1 log=$2
    "$binary" --port 0 --quiet >"$log" 2>&1 &
    server_pid=$!
    port=""
    for _ in $(seq 100); do # at most 10 s
        port=$(sed -n 's/.*listening on [0-9.]*:\([0-9]*\).*/\1/p' "$log")
        [[ -n "$port" ]] && break
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    if [[ -z "$port" ]]; then
        echo "error: delayserver: did not print its port:" >&2
        cat "$log" >&2
        exit 1
    fi
}
