#!/usr/bin/env bash
# Session 38 call 4 (~8.5 min), on the merge of
# bench/candidates/gather-halves-arrive-when-landed.patch (v98): the full
# check — smoke, every GPU test, the benchmark of record, memcheck /
# racecheck, and the sanitizer sweep (84 configurations x 4 tools).
# Run: OUT=$OUT MLADEC_COMMIT=<hash> bash bench/results/2026-12-01-session38-calls/call4.sh
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-$PWD/gpu-out}; mkdir -p "$OUT"
export MLADEC_CUTLASS_DIR=$PWD/.deps/cutlass-pip/cutlass_library/source/include
scripts/gpu-check.sh smoke tests bench sanitize sweep > "$OUT/check-summary.md" 2>&1
grep -E "cases, worst|soak:|tests passed|Failed|\*\*\*" "$OUT/check-summary.md" | head -30
sed -n '/==== targets/,$p' "$OUT/check-summary.md"
