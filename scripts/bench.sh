#!/usr/bin/env bash
# Benchmarks, each printing its figures: `npm run bench` runs all, `npm run bench -- render`
# one. store: RGW + DynamoDB Local writes and queries (starts its own servers); collect:
# GitHub requests per merged PR and wall time against the emulator, with and without faults;
# render: PDF pack time and peak memory for 1,000 / 10,000 / 50,000 changes; monthly-pack:
# one month of every kind collected, then the pack built, step by step; budget: the GitHub
# budget targets — a 10,000-PR month at GitHub's limits, cold and warm collection, packs of 10,000
# and 50,000 changes, and the collection again with GitHub-like latency (BENCH_* in the file).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
benches=("$@")
[ "${#benches[@]}" -gt 0 ] || benches=(store collect render monthly-pack budget)
for bench in "${benches[@]}"; do
  echo "== bench/${bench}.bench.ts"
  npx tsx "bench/${bench}.bench.ts"
done
