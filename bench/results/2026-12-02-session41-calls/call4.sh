#!/usr/bin/env bash
# Session 41 call 4 (~9.5 min): the full check of the gather-lines kernels
# (55eb60e's decode; call 3: screened clean, page 1 h_q 128 326 -> 285 us) —
# gpu-check.sh smoke tests bench sanitize sweep; its benchmark is the
# record v101 if every part passes.
#   run: OUT=$OUT COMMIT=<hash> bash bench/results/2026-12-02-session41-calls/call4.sh
#        carry [".deps/cutlass-pip/cutlass_library/source/include"]
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-$PWD/gpu-out}; mkdir -p "$OUT"
: "${COMMIT:?COMMIT=<the commit checked>}"
export MLADEC_CUTLASS_DIR=$PWD/.deps/cutlass-pip/cutlass_library/source/include
MLADEC_COMMIT="$COMMIT" OUT="$OUT" scripts/gpu-check.sh smoke tests bench sanitize sweep \
  >"$OUT/check.txt" 2>&1
echo "check rc=$?"
grep -E "cases, worst|soak|mismatch" "$OUT/check.txt" | head -14 | cut -c1-160
tail -42 "$OUT/check.txt" | cut -c1-200
