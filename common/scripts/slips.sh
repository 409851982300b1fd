#!/usr/bin/env bash
# Plants each catalogued slip (chNN-*/slips.txt) in a scratch copy of the repository, rebuilds,
# runs the tests and prints which slips the tests catch. See slips.py for the options.
set -euo pipefail
command -v python3 >/dev/null || { echo "error: slips: python3 not found (Debian: apt-get install python3)" >&2; exit 1; }
exec python3 "$(dirname "$0")/slips.py" "$@"
