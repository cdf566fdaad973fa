#!/usr/bin/env bash
# Prepared in session 35 for session 36's first device call (~5-6 min):
#   1. gpu-check `bench`: the benchmark with the fp8 group's new varlen
#      cells (their first numbers);
#   2. --varlen-split-overhead 160 / 256 / 320 on those fp8 varlen cells, 3
#      rounds interleaved (bench/NOTES.md "Next device plan (after session
#      35)", item 3): do the fp8 forms want the bf16 tile forms' values?
# Run: OUT=$OUT MLADEC_COMMIT=<main's hash> bash bench/results/2026-12-01-session35-calls/prepared-session36-call1.sh
# with carry [".deps/cutlass-pip/cutlass_library/source/include"].
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-$PWD/gpu-out}; mkdir -p "$OUT"
scripts/gpu-check.sh bench > "$OUT/check-summary.md" 2>&1
scripts/bench-variants.sh "$OUT/fp8-overhead" 3 "o160:--varlen-split-overhead 160" \
  "o256:--varlen-split-overhead 256" "o320:--varlen-split-overhead 320" \
  -- --no-ceilings --filter fp8 --only varlen > "$OUT/fp8-overhead.md" 2>&1
sed -n '/==== summary/,$p' "$OUT/check-summary.md"
grep -A12 "^| group | tile rows | cells" "$OUT/fp8-overhead.md"
tar czf "$OUT/fp8-overhead.tgz" -C "$OUT" fp8-overhead && rm -rf "$OUT/fp8-overhead"
