#!/usr/bin/env bash
# Proves both sides of every exercise (chNN-*/exercises/NN-name/): built against its reference
# answer (solution/), every test passes; built against the untouched file the reader edits, at
# least one test fails — an exercise whose tests pass without being solved asserts nothing.
#
#     common/scripts/check_exercises.sh [--preset NAME] [--build-dir DIR] [--jobs N]
#
# Both sides are built in one tree (build/exercises, or DIR), one after the other: configured with
# every CHNN_EXERCISES set to SOLUTIONS, then to ON. Only the exercise tests are built (target
# async_exercises) and run (`ctest -L exercise`), and the second side recompiles only the exercise
# files, not common and the chapters. DIR may be an existing build tree of the same preset (CI passes
# build/default, already built by then): its libraries are reused, and the exercise options are
# set back to OFF at the end. Prints a table (exercise, solution, skeleton) and exits 1 on any
# violation: a solution test that fails, a skeleton that fails no test, or an exercise folder
# without tests. Uses the compiler cache when the environment names one
# (CMAKE_CXX_COMPILER_LAUNCHER), as every build here does.
set -euo pipefail
cd "$(dirname "$0")/../.."

preset=default
tree=build/exercises
jobs=4 # the tests mostly wait on timers and sockets, so more than the core count is fine
while (($#)); do
    case "$1" in
        --preset) preset="$2"; shift 2 ;;
        --build-dir) tree="$2"; shift 2 ;;
        --jobs) jobs="$2"; shift 2 ;;
        -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "error: check_exercises: unknown argument '$1' (try --help)" >&2; exit 1 ;;
    esac
done
command -v python3 >/dev/null || { echo "error: check_exercises: python3 not found (Debian: apt-get install python3)" >&2; exit 1; }

chapters=()
for dir in ch[0-9][0-9]-*/exercises; do
    [ -f "$dir/CMakeLists.txt" ] && chapters+=("${dir:2:2}")
done
if ((${#chapters[@]} == 0)); then
    echo "error: check_exercises: no chNN-*/exercises/CMakeLists.txt found" >&2
    exit 1
fi

configure() { # $1: what (for the log), then -D options
    local what="$1"
    shift
    cmake --preset "$preset" -B "$tree" "$@" >"$tree/exercises-$what.configure.log" 2>&1 ||
        { cat "$tree/exercises-$what.configure.log" >&2; echo "error: check_exercises: configure ($what) failed" >&2; exit 1; }
}

run_side() { # $1: solutions|skeletons, $2: SOLUTIONS|ON
    local options=()
    for n in "${chapters[@]}"; do options+=("-DCH${n}_EXERCISES=$2"); done
    echo "== $1: configure, build async_exercises, ctest -L exercise ($tree) =="
    configure "$1" "${options[@]}"
    cmake --build "$tree" --target async_exercises >"$tree/exercises-$1.build.log" 2>&1 ||
        { tail -n 40 "$tree/exercises-$1.build.log" >&2; echo "error: check_exercises: build ($1) failed" >&2; exit 1; }
    rm -f "$tree/exercises-$1.xml"
    # Failures are expected on the skeleton side; the table below judges them.
    ctest --test-dir "$tree" -L exercise -j "$jobs" --timeout 60 --output-junit "exercises-$1.xml" \
        >"$tree/exercises-$1.ctest.log" 2>&1 || true
    [ -f "$tree/exercises-$1.xml" ] ||
        { tail -n 20 "$tree/exercises-$1.ctest.log" >&2; echo "error: check_exercises: ctest ($1) wrote no results" >&2; exit 1; }
}

give_back() { # a reused tree goes back as it was, without exercises, even when a side failed
    local off=()
    for n in "${chapters[@]}"; do off+=("-DCH${n}_EXERCISES=OFF"); done
    configure reset "${off[@]}"
}
mkdir -p "$tree"
if [ -f "$tree/CMakeCache.txt" ]; then
    trap give_back EXIT
fi
start=$(date +%s)
run_side solutions SOLUTIONS
run_side skeletons ON
elapsed=$(($(date +%s) - start))

python3 - "$elapsed" "$tree" <<'PY'
import glob, os, sys, xml.etree.ElementTree as ET

def results(path):
    """{'chNN-exercise/NN-name': [passed, total]} from a ctest JUnit file."""
    out = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        name = case.get("name", "")
        parts = name.split("/")
        if len(parts) < 3:
            continue
        key = parts[0].replace("-exercise", "") + "/" + parts[1]
        failed = case.get("status") not in ("run", "pass", "passed") or case.find("failure") is not None
        entry = out.setdefault(key, [0, 0])
        entry[1] += 1
        entry[0] += 0 if failed else 1
    return out

sol = results(os.path.join(sys.argv[2], "exercises-solutions.xml"))
ske = results(os.path.join(sys.argv[2], "exercises-skeletons.xml"))
# Every exercise folder, as "chNN/NN-name": one without tests is a violation too.
folders = set()
for readme in glob.glob("ch[0-9][0-9]-*/exercises/*/README.md"):
    chapter, _, name = os.path.dirname(readme).split("/")
    folders.add(chapter[:4] + "/" + name)

bad = 0
rows = []
for key in sorted(folders | set(sol) | set(ske)):
    s = sol.get(key)
    k = ske.get(key)
    if not s or not k:
        sol_text = ske_text = "NO TESTS"
        bad += 1
    else:
        sol_text = "pass (%d of %d)" % (s[0], s[1]) if s[0] == s[1] else "FAIL: %d of %d fail" % (s[1] - s[0], s[1])
        fails = k[1] - k[0]
        ske_text = "fails %d of %d" % (fails, k[1]) if fails > 0 else "PASSES WITHOUT BEING SOLVED"
        bad += (s[0] != s[1]) + (fails == 0)
    rows.append((key, sol_text, ske_text))

width = max(len(r[0]) for r in rows + [("exercise",)])
print("%-*s  %-22s  %s" % (width, "exercise", "solution", "skeleton"))
for key, a, b in rows:
    print("%-*s  %-22s  %s" % (width, key, a, b))
print("%d exercises, %d violations, %s s (both sides: configure, build, test)" % (len(rows), bad, sys.argv[1]))
sys.exit(1 if bad else 0)
PY
