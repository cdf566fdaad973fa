#!/usr/bin/env bash
# Session 38 call 1 (~8 min), on main 6c0edea (row halves + the by-warpgroup
# empty barriers): the full GPU tests, the benchmark of record (v97) and the
# memcheck / racecheck pass. Session 37's own records of these (its calls 4-5)
# were lost with its checkout, so they are run again here.
# Run: OUT=$OUT MLADEC_COMMIT=<hash> bash bench/results/2026-12-01-session38-calls/call1.sh
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-$PWD/gpu-out}; mkdir -p "$OUT"
export MLADEC_CUTLASS_DIR=$PWD/.deps/cutlass-pip/cutlass_library/source/include
scripts/gpu-check.sh smoke tests bench sanitize > "$OUT/check-summary.md" 2>&1
grep -E "cases, worst|soak:|tests passed|Failed|\*\*\*" "$OUT/check-summary.md" | head -30
sed -n '/==== targets/,$p' "$OUT/check-summary.md"
