#!/usr/bin/env bash
# Session 39 call 7 (~4 min, the session's last device time): screen of
# owner-gathers-half-a (matrix every 6th case, the screens, racecheck every
# 24th), then 2 rounds against main (ac3486e) on page 1 h_q 128 (the new
# kernel), page 1 h_q 16 and page 16 h_q 128 (controls: other kernels).
# here first: scripts/gpu-ab.sh --prepare-patched ac3486e owner=owner-gathers-half-a
# Run: OUT=$OUT bash bench/results/2026-12-02-session39-calls/call7.sh
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-$PWD/gpu-out}; mkdir -p "$OUT"
export MLADEC_CUTLASS_DIR=$PWD/.deps/cutlass-pip/cutlass_library/source/include
AB_CHECK=6 AB_CHECK_TREES='owner' AB_RACECHECK=24 AB_TREES="ac3486e owner" \
  AB_ONLY='page_size 128x4096 s_q=1 h_q=128 page=1 |page_size 128x4096 s_q=1 h_q=16 page=1 |page_size 128x4096 s_q=1 h_q=128 page=16' \
  BENCH_ARGS='' scripts/gpu-ab.sh 2 > "$OUT/ab-owner.txt" 2>&1
cp "$OUT/ab_table.md" "$OUT/ab-owner-table.md"
grep -E "^builds|^build |^check " "$OUT/ab-owner.txt" | cut -c1-600
grep -o "RACECHECK SUMMARY[^)]*)" "$OUT/ab-owner.txt"
cut -c1-200 "$OUT/ab-owner-table.md"
