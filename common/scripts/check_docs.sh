#!/usr/bin/env bash
# The docs check: every ```mermaid block of every tracked markdown file must render with mermaid 11
# (the version GitHub and GitLab draw them with), and every tracked SVG must be well-formed XML.
# A failure names the file, the line where the block starts and mermaid's message; exit status 1.
#
#   common/scripts/check_docs.sh                 # check everything
#   common/scripts/check_docs.sh --png-dir DIR   # and save each diagram as a PNG, to look at
#
# Needs Node.js 18+ with npm, and Chromium (Debian: `apt-get install nodejs npm chromium`); the
# mermaid renderer itself is installed from the npm registry into common/scripts/docs/node_modules
# on first use, at the versions pinned in its package-lock.json. Set CHROMIUM to use another
# Chromium or Chrome binary.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
docs="$root/common/scripts/docs"
cd "$root"

die() { echo "error: docs check: $*" >&2; exit 1; }
command -v node >/dev/null || die "node not found (Debian: apt-get install nodejs npm)"
command -v npm >/dev/null || die "npm not found (Debian: apt-get install npm)"
browser=${CHROMIUM:-}
if [ -z "$browser" ]; then
    for b in chromium chromium-browser google-chrome; do
        if command -v "$b" >/dev/null; then browser=$(command -v "$b"); break; fi
    done
fi
[ -n "$browser" ] || die "no Chromium found (Debian: apt-get install chromium), or set CHROMIUM"

# Install the pinned renderer once (and again when the lockfile changes). Puppeteer's own browser
# download is skipped: the system's Chromium is used instead.
if [ ! -f "$docs/node_modules/.installed" ] || [ "$docs/package-lock.json" -nt "$docs/node_modules/.installed" ]; then
    echo "docs check: installing the mermaid renderer (npm ci)"
    PUPPETEER_SKIP_DOWNLOAD=1 npm ci --prefix "$docs" --no-audit --no-fund --loglevel=error >/dev/null
    touch "$docs/node_modules/.installed"
fi

# First prove the check can fail: the fixture's diagram is broken on purpose.
if node "$docs/check_docs.mjs" --browser "$browser" "$docs/fixtures/broken_diagram.md" >/dev/null 2>&1; then
    die "the broken fixture diagram was accepted: the check cannot tell a broken diagram"
fi

mapfile -t files < <(git ls-files '*.md' '*.svg' | grep -v '^common/scripts/docs/fixtures/')
node "$docs/check_docs.mjs" --browser "$browser" "$@" "${files[@]}"
