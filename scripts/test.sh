#!/usr/bin/env bash
# The whole test suite from a clean clone: installs what it needs (Debian packages, npm ci),
# checks types, lint and format, then runs every test. The S3 and DynamoDB contract tests start
# Ceph RGW and DynamoDB Local themselves and stop them when done, pass or fail.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
npm run --silent check
npx vitest run "$@"
