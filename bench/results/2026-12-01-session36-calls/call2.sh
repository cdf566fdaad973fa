#!/usr/bin/env bash
# Session 36 call 2 (~8 min), on 8d7ed8e (fp8 varlen piece overheads by
# format, the combine's start_combine_row helper):
#   1. gpu-check `smoke tests bench sanitize` (the full GPU matrix, the
#      benchmark of record, memcheck / racecheck);
#   2. the fp8 varlen cells under the new defaults against 160 and 320
#      everywhere (the old defaults: 160 at 16 rows, 320 for blockwise at
#      64 rows), 3 rounds interleaved.
# Run: OUT=$OUT MLADEC_COMMIT=<hash> bash bench/results/2026-12-01-session36-calls/call2.sh
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-$PWD/gpu-out}; mkdir -p "$OUT"
scripts/gpu-check.sh smoke tests bench sanitize > "$OUT/check-summary.md" 2>&1
scripts/bench-variants.sh "$OUT/fp8-overhead" 3 "new" "o160:--varlen-split-overhead 160" \
  "o320:--varlen-split-overhead 320" -- --no-ceilings --filter fp8 --only varlen \
  > "$OUT/fp8-overhead.md" 2>&1
grep -E "cases, worst|soak:|tests passed|memcheck|racecheck|ERROR SUMMARY|hazard" "$OUT/check-summary.md" | head -30
sed -n '/==== summary/,$p' "$OUT/check-summary.md"
grep -A12 "^| group | tile rows | cells" "$OUT/fp8-overhead.md"
tar czf "$OUT/fp8-overhead.tgz" -C "$OUT" fp8-overhead && rm -rf "$OUT/fp8-overhead"
