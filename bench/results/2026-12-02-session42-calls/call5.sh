#!/usr/bin/env bash
# Session 42 call 5 (~6 min): screen and time bench/candidates/
# transposed-32-split-scores.patch — the 32-row transposed form splits Sᵀ's
# 36 k-steps between the warpgroups as the 16-row form does (one 8 KB
# buffer a warpgroup, a second named barrier before it is overwritten),
# instead of both computing all of Sᵀ (18 fewer HGMMA in each 32-row
# kernel: bf16 and blockwise; no other kernel's SASS changes).
# Screen: matrix every 6th case, the exactness screens, racecheck every
# 24th. Then 2 rounds against main (b0a4bd6) on the 32-row bf16 cells
# (s_q 1 h_q 32, s_q 2 h_q 16), the blockwise 32-row cells at 128x8192,
# and a 16-row control.
#   here first: scripts/gpu-ab.sh --prepare-patched b0a4bd6 split32=transposed-32-split-scores
#   run: OUT=$OUT bash bench/results/2026-12-02-session42-calls/call5.sh, carry ["ab"]
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-$PWD/gpu-out}; mkdir -p "$OUT"
AB_CHECK=6 AB_CHECK_TREES='split32' AB_RACECHECK=24 AB_TREES="b0a4bd6 split32" \
  AB_ONLY='large 128x4096 s_q=1 h_q=32 |large 128x8192 s_q=1 h_q=32 |large 64x16384 s_q=1 h_q=32 |large 128x8192 s_q=2 h_q=16 |fp8 128x8192 s_q=1 h_q=32 page=64 fixed fp8_blockwise|large 128x8192 s_q=1 h_q=16 page=64 fixed' \
  BENCH_ARGS='' scripts/gpu-ab.sh 2 > "$OUT/ab.txt" 2>&1
cp "$OUT/ab_table.md" "$OUT/ab-table.md"
grep -E "^builds|^build |^check " "$OUT/ab.txt" | cut -c1-600
grep -o "RACECHECK SUMMARY[^)]*)" "$OUT/ab.txt"
cut -c1-200 "$OUT/ab-table.md"
