#!/usr/bin/env bash
# The main job on one machine, from a clean clone: collect the bundled demo organisation from
# the local GitHub emulator into the embedded store (./.cm01), judge it, and render the pack
# into ./out. No AWS account and no GitHub token needed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --no-servers
node bin/cm01.js run "$@"
echo
echo "Open the auditor's evidence room (read-only, on 127.0.0.1; Ctrl+C stops it):"
echo "  node bin/cm01.js room        # the same --store as above, if you gave one"
echo "then open the address it prints. More months make the trends: node bin/cm01.js run --period 2026-09"
