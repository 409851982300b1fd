#!/usr/bin/env python3
"""Break it yourself, automatically: plant each catalogued slip and check its test catches it.

Every chapter keeps a catalogue of the mistakes readers make with its layer, `chNN-*/slips.txt`.
A slip there reads:

    slip: ch04-register-before-waker
    file: src/reactor.cpp
    test: <the doctest case that catches it, as `ctest -N` lists it without the `chNN/` prefix>
    see: <one sentence: what a reader who made this slip would see>
    find: <<<
    <exact lines of the file, occurring exactly once>
    >>>
    replace: <<<
    <the lines that replace them; may be none>
    >>>

The name is unique and starts with the chapter; the file is relative to the chapter folder. Lines
starting with `#` and blank lines between slips are ignored. For each slip this script,
working on a scratch copy of the repository (never on the working tree):

  1. replaces the slip's exact text in its file (the text must occur exactly once),
  2. rebuilds incrementally,
  3. runs the slip's named test, then the owning chapter's tests and those of the later chapters
     that link the same code, stopping at the first failure,
  4. puts the file back.

It prints a table: slip, caught or missed, the first failing test, the time it took. A slip is
caught when its named test fails. The exit status is 1 when any slip is missed, no longer applies
(its text changed) or does not build; 0 when every one is caught.

  common/scripts/slips.sh                 # every chapter's catalogue
  common/scripts/slips.sh ch04 ch05       # some chapters
  common/scripts/slips.sh ch04-sleep-keeps-first-waker   # one slip, by name
  common/scripts/slips.sh --list          # print the catalogue, run nothing
  common/scripts/slips.sh --quick         # only each slip's named test (no first-failure search)

The scratch copy and its build live in build/slips/ (like every build directory, ignored by git),
so a second run rebuilds only what changed. With ccache installed the first build is cheap too.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Which chapters' tests can catch a slip in a chapter's code: its own, and those of the later
# chapters that link its library unchanged (ch03-ch05 link ch02's Poll; ch05 runs on ch04's
# runtime). A slip in common can be caught anywhere.
LATER_USERS = {
    "ch01": ["ch01"],
    "ch02": ["ch02", "ch03", "ch04", "ch05"],
    "ch03": ["ch03"],
    "ch04": ["ch04", "ch05"],
    "ch05": ["ch05"],
}
ALL_LABELS = ["common", "ch01", "ch02", "ch03", "ch04", "ch05"]
KEYS = ("slip", "file", "test", "see")


class CatalogueError(Exception):
    pass


def parse_catalogue(path):
    """Reads one slips.txt into a list of dicts (slip, file, test, see, find, replace, line)."""
    lines = path.read_text(encoding="utf-8").split("\n")
    slips = []
    current = None
    i = 0

    def where(n):
        return f"{path.relative_to(ROOT)}:{n + 1}"

    while i < len(lines):
        line = lines[i]
        if not line.strip() or line.startswith("#"):
            i += 1
            continue
        key, sep, value = line.partition(":")
        key = key.strip()
        if not sep:
            raise CatalogueError(f"{where(i)}: expected `key: value`, found {line!r}")
        value = value.strip()
        if key == "slip":
            current = {"slip": value, "line": i + 1, "catalogue": path}
            slips.append(current)
        elif current is None:
            raise CatalogueError(f"{where(i)}: `{key}:` before the first `slip:`")
        elif key in ("find", "replace"):
            if value != "<<<":
                raise CatalogueError(f"{where(i)}: `{key}:` must be followed by `<<<`")
            end = i + 1
            while end < len(lines) and lines[end] != ">>>":
                end += 1
            if end == len(lines):
                raise CatalogueError(f"{where(i)}: `{key}: <<<` has no closing `>>>`")
            block = lines[i + 1:end]
            current[key] = "\n".join(block) + ("\n" if block else "")
            i = end
        elif key in KEYS:
            current[key] = value
        else:
            raise CatalogueError(f"{where(i)}: unknown key `{key}`")
        i += 1
    for s in slips:
        missing = [k for k in KEYS + ("find", "replace") if k not in s]
        if missing:
            raise CatalogueError(f"{where(s['line'] - 1)}: slip {s['slip']} lacks {', '.join(missing)}")
        if not s["find"]:
            raise CatalogueError(f"{where(s['line'] - 1)}: slip {s['slip']} has an empty `find`")
    return slips


def load_catalogues():
    slips = []
    # A chapter's sub-folder may keep its own catalogue (ch05-coroutines/fibers/slips.txt); its
    # `file:` paths are relative to the chapter folder all the same.
    catalogues = sorted(ROOT.glob("ch0*/slips.txt")) + sorted(ROOT.glob("ch0*/*/slips.txt"))
    for catalogue in catalogues:
        chapter_dir = catalogue.relative_to(ROOT).parts[0]
        label = chapter_dir[:4]
        for s in parse_catalogue(catalogue):
            s["chapter_dir"] = chapter_dir
            s["label"] = label
            if not s["slip"].startswith(label + "-"):
                raise CatalogueError(f"{catalogue.relative_to(ROOT)}:{s['line']}: slip names start "
                                     f"with the chapter ({label}-...): {s['slip']}")
            slips.append(s)
    names = [s["slip"] for s in slips]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise CatalogueError(f"slip names must be unique: {', '.join(dupes)}")
    return slips


def run(cmd, cwd=None, quiet=True):
    """Runs a command; returns (exit status, combined output)."""
    p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if not quiet:
        sys.stderr.write(p.stdout)
    return p.returncode, p.stdout


def sync_scratch(src):
    """Copies the working tree's files (tracked, and new ones git does not ignore) into the
    scratch source tree, writing only files whose content differs so that the next build is
    incremental. Returns nothing; never writes into the working tree."""
    status, out = run(["git", "-C", str(ROOT), "ls-files", "-z", "-co", "--exclude-standard"])
    if status != 0:
        sys.exit(f"error: slips: git ls-files: {out.strip()}")
    for rel in filter(None, out.split("\0")):
        origin = ROOT / rel
        if not origin.is_file():
            continue  # deleted in the working tree but still tracked
        target = src / rel
        data = origin.read_bytes()
        if target.is_file() and target.read_bytes() == data:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        shutil.copymode(origin, target)


def configure_and_build(src, build):
    if not (build / "CMakeCache.txt").exists():
        cmd = ["cmake", "-S", str(src), "-B", str(build), "-G", "Ninja",
               "-DCMAKE_BUILD_TYPE=Debug", "-DCMAKE_CXX_COMPILER=g++"]
        if shutil.which("ccache"):
            cmd.append("-DCMAKE_CXX_COMPILER_LAUNCHER=ccache")
        status, out = run(cmd)
        if status != 0:
            sys.exit(f"error: slips: configuring the scratch build failed:\n{out}")
    return run(["cmake", "--build", str(build)])


def test_numbers(build):
    """Maps each CTest test name (`ch04/<doctest case>`) to its number."""
    status, out = run(["ctest", "--test-dir", str(build), "--show-only=json-v1"])
    if status != 0:
        sys.exit(f"error: slips: ctest --show-only: {out.strip()}")
    tests = json.loads(out)["tests"]
    return {t["name"]: n for n, t in enumerate(tests, start=1)}


def ctest_failed(build, args):
    """Runs ctest with `args`; returns the names of the tests that failed, in order."""
    status, out = run(["ctest", "--test-dir", str(build), "--output-on-failure"] + args)
    failed = []
    in_list = False
    for line in out.split("\n"):
        if line.startswith("The following tests FAILED:"):
            in_list = True
            continue
        if in_list and " - " in line:
            # "\t 12 - ch04/name (Failed)"  or  "(Timeout)", "(Subprocess aborted)", ...
            name = line.split(" - ", 1)[1].rsplit(" (", 1)[0]
            failed.append(name)
    if status != 0 and not failed and "No tests were found" not in out:
        failed.append("(ctest: " + out.strip().split("\n")[-1] + ")")
    return failed


def full_name(slip):
    t = slip["test"]
    return t if t.startswith(slip["label"] + "/") else f"{slip['label']}/{t}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("select", nargs="*", help="chapters (ch04) or slip names; default: all")
    parser.add_argument("--list", action="store_true", help="print the catalogue and stop")
    parser.add_argument("--quick", action="store_true",
                        help="run only each slip's named test (skip the first-failure search)")
    parser.add_argument("--scratch", default=str(ROOT / "build" / "slips"),
                        help="scratch directory (default: build/slips)")
    args = parser.parse_args()

    try:
        slips = load_catalogues()
    except CatalogueError as e:
        sys.exit(f"error: slips: {e}")
    if args.select:
        chosen = [s for s in slips if s["label"] in args.select or s["slip"] in args.select]
        unknown = [x for x in args.select
                   if x not in {s["label"] for s in slips} | {s["slip"] for s in slips}]
        if unknown:
            sys.exit(f"error: slips: no chapter catalogue or slip named {', '.join(unknown)}")
        slips = chosen
    if args.list:
        for s in slips:
            print(f"{s['slip']}\t{s['chapter_dir']}/{s['file']}\t{full_name(s)}\n    {s['see']}")
        return 0

    scratch = Path(args.scratch).resolve()
    # The build sits inside the copy where the default preset's would (src/build/default), so with
    # ccache the copy's compile commands look like the working tree's and hit the same cache.
    src = scratch / "src"
    build = src / "build" / "default"
    if shutil.which("ccache"):
        os.environ.setdefault("CCACHE_BASEDIR", os.path.commonpath([str(ROOT), str(scratch)]))
        os.environ.setdefault("CCACHE_NOHASHDIR", "1")
    # Inside the repository only under build/ (which git ignores), or the copy would copy itself.
    if scratch == ROOT or scratch in ROOT.parents or (
            ROOT in scratch.parents and ROOT / "build" not in scratch.parents):
        sys.exit("error: slips: the scratch directory must be outside the sources or under build/")
    src.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    print(f"slips: copying the working tree to {src} and building it", file=sys.stderr)
    sync_scratch(src)
    status, out = configure_and_build(src, build)
    if status != 0:
        sys.exit(f"error: slips: the unchanged tree does not build:\n{out[-4000:]}")
    numbers = test_numbers(build)

    # Every named test must exist and pass on the unchanged code, or "caught" would mean nothing.
    unknown = [f"{s['slip']}: {full_name(s)}" for s in slips if full_name(s) not in numbers]
    if unknown:
        sys.exit("error: slips: these named tests do not exist:\n  " + "\n  ".join(unknown))
    wanted = sorted({numbers[full_name(s)] for s in slips})
    failing = ctest_failed(build, ["-I", "0,0,0," + ",".join(map(str, wanted))])
    if failing:
        sys.exit("error: slips: these named tests fail on the unchanged code:\n  " +
                 "\n  ".join(failing))

    rows = []
    for s in slips:
        t0 = time.monotonic()
        path = src / s["chapter_dir"] / s["file"]
        original = path.read_text(encoding="utf-8") if path.is_file() else None
        first = "—"
        if original is None:
            result = "stale: no such file"
        elif original.count(s["find"]) != 1:
            result = f"stale: its text occurs {original.count(s['find'])} times"
        else:
            print(f"slips: {s['slip']}", file=sys.stderr)
            path.write_text(original.replace(s["find"], s["replace"]), encoding="utf-8")
            try:
                status, out = configure_and_build(src, build)
                if status != 0:
                    result = "does not build"
                else:
                    named = full_name(s)
                    caught = bool(ctest_failed(build, ["-I", f"0,0,0,{numbers[named]}"]))
                    if args.quick:
                        first = named if caught else "—"
                    else:
                        labels = LATER_USERS.get(s["label"], ALL_LABELS)
                        if s["file"].startswith("../common/"):
                            labels = ALL_LABELS
                        failed = ctest_failed(build, ["-L", "^(" + "|".join(labels) + ")$",
                                                      "--stop-on-failure"])
                        first = failed[0] if failed else "—"
                    result = "caught" if caught else "MISSED"
            finally:
                path.write_text(original, encoding="utf-8")
        rows.append((s, result, first, time.monotonic() - t0))

    # Leave the scratch build matching the working tree again.
    configure_and_build(src, build)

    print("| slip | result | first failing test | time |")
    print("|---|---|---|---:|")
    for s, result, first, seconds in rows:
        print(f"| `{s['slip']}` | {result} | {first} | {seconds:.0f} s |")
    bad = [r for r in rows if r[1] != "caught"]
    total = time.monotonic() - started
    print(f"\nslips: {len(rows) - len(bad)} of {len(rows)} caught in {total:.0f} s", file=sys.stderr)
    for s, result, _, _ in bad:
        print(f"error: slips: {s['slip']} ({s['catalogue'].relative_to(ROOT)}:{s['line']}): "
              f"{result}", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
