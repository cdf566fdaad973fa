#!/usr/bin/env bash
# Session 40 call 4 (~4 min, the session's last device time): screen of
# owner-gathers-entry-prefetch (matrix every 6th case, the screens, racecheck every
# 24th), then 2 rounds against main (1e5dff1, owner-gathers merged) on page 1 h_q 128 (the changed
# kernel), page 1 h_q 16 and page 16 h_q 128 (controls: other kernels).
# here first: scripts/gpu-ab.sh --prepare-patched 1e5dff1 pf=owner-gathers-entry-prefetch
# Run: OUT=$OUT bash bench/results/2026-12-02-session40-calls/call4.sh
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-$PWD/gpu-out}; mkdir -p "$OUT"
export MLADEC_CUTLASS_DIR=$PWD/.deps/cutlass-pip/cutlass_library/source/include
AB_CHECK=6 AB_CHECK_TREES='pf' AB_RACECHECK=24 AB_TREES="1e5dff1 pf" \
  AB_ONLY='page_size 128x4096 s_q=1 h_q=128 page=1 |page_size 128x4096 s_q=1 h_q=16 page=1 |page_size 128x4096 s_q=1 h_q=128 page=16' \
  BENCH_ARGS='' scripts/gpu-ab.sh 2 > "$OUT/ab-pf.txt" 2>&1
cp "$OUT/ab_table.md" "$OUT/ab-pf-table.md"
grep -E "^builds|^build |^check " "$OUT/ab-pf.txt" | cut -c1-600
grep -o "RACECHECK SUMMARY[^)]*)" "$OUT/ab-pf.txt"
cut -c1-200 "$OUT/ab-pf-table.md"
