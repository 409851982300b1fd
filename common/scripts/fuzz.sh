#!/usr/bin/env bash
# Reliability check: builds common's libFuzzer targets (common/fuzz/, clang++ only) in build/fuzz
# and runs each for a fixed time, seeded with a scratch copy of its committed corpus so the
# committed corpus never grows. Exits non-zero when any target finds a crash. See common/RELIABILITY.md.
#
#   common/scripts/fuzz.sh [SECONDS] [TARGET...]   SECONDS per target (default 60; 0 = only replay the
#                                         seed corpus), TARGETs like fuzz_percent (default: all)
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds="${1:-60}"
shift || true
if ! [[ "$seconds" =~ ^[0-9]+$ ]]; then
    echo "error: usage: common/scripts/fuzz.sh [SECONDS] [TARGET...]" >&2
    exit 2
fi

build=build/fuzz
fuzz_src=common/fuzz
if (($# > 0)); then
    targets=("$@")
else
    targets=()
    for source in "$fuzz_src"/fuzz_*.cpp; do
        targets+=("$(basename "$source" .cpp)")
    done
fi

# RelWithDebInfo: optimised like the code that ships, with line numbers in the stack traces.
cmake -S common -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DASYNC_FUZZ=ON -DCOMMON_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" --target "${targets[@]}"

failed=()
summary=()
for target in "${targets[@]}"; do
    binary="$build/fuzz/$target"
    seeds="$fuzz_src/corpus/${target#fuzz_}"
    run="$build/runs/$target"
    rm -rf "$run"
    mkdir -p "$run/corpus" "$run/artifacts"
    if [[ -d "$seeds" ]]; then
        cp "$seeds"/* "$run/corpus/"
    fi
    options=(-artifact_prefix="$run/artifacts/" -max_len=20000 -timeout=10 -print_final_stats=1)
    if [[ -f "$fuzz_src/$target.dict" ]]; then
        options+=(-dict="$fuzz_src/$target.dict")
    fi
    if ((seconds == 0)); then
        options+=(-runs=0) # execute every seed once, then stop
    else
        options+=(-max_total_time="$seconds")
    fi

    echo "== $target: ${seconds}s, seeds from $seeds, log in $run/log.txt"
    status=0
    "$binary" "${options[@]}" "$run/corpus" >"$run/log.txt" 2>&1 || status=$?

    executed=$(sed -n 's/^stat::number_of_executed_units: *//p' "$run/log.txt" | tail -n 1)
    coverage=$(grep -o 'cov: [0-9]*' "$run/log.txt" | tail -n 1 | cut -d' ' -f2)
    corpus=$(find "$run/corpus" -type f | wc -l)
    if ((status == 0)); then
        result=ok
    else
        result="CRASH (exit $status)"
        failed+=("$target")
        echo "-- $target failed; the end of its log:" >&2
        tail -n 40 "$run/log.txt" >&2
        for artifact in "$run"/artifacts/*; do
            [[ -e "$artifact" ]] || continue
            echo "-- reproduce with: $binary $artifact" >&2
        done
    fi
    summary+=("$(printf '%-22s %10s %6s %8s  %s' "$target" "${executed:-?}" "${coverage:-?}" \
        "$corpus" "$result")")
done

echo
printf '%-22s %10s %6s %8s  %s\n' target executions cov corpus result
printf '%s\n' "${summary[@]}"
if ((${#failed[@]})); then
    echo "FAIL: ${failed[*]}"
    exit 1
fi
echo "PASS: no crash in ${#targets[@]} target(s), ${seconds}s each"
