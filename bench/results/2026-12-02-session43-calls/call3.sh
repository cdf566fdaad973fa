#!/usr/bin/env bash
# Session 43 call 3 (~5 min): screen and time the 32-row bf16 kernel with
# Sᵀ split between the warpgroups AND every block gathered (sg32 =
# transposed-32-split-scores + transposed-32-gathered) against main
# (f177af8). Call 1 measured the pair through MLADEC_KV_TMA=0 on the s_q 1
# h_q 32 cells: gathered / TMA 0.965–0.987 fixed, 0.989–1.020 varlen
# (2 rounds). Here as a tree (the kernel holds no TMA block code, as the
# 16-row one), 3 rounds, with the s_q 2 h_q 16 cells (the 32-row kernel
# too) and a 16-row control.
# Screen: matrix every 6th case, the exactness screens, racecheck every 24th.
#   here first: scripts/gpu-ab.sh --prepare-patched f177af8 \
#                 sg32=transposed-32-split-scores,transposed-32-gathered
#   run: OUT=$OUT bash bench/results/2026-12-02-session43-calls/call3.sh, carry ["ab"]
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-$PWD/gpu-out}; mkdir -p "$OUT"
AB_CHECK=6 AB_CHECK_TREES='sg32' AB_RACECHECK=24 AB_TREES="f177af8 sg32" \
  AB_ONLY='large 128x4096 s_q=1 h_q=32 |large 128x8192 s_q=1 h_q=32 |large 64x16384 s_q=1 h_q=32 |large 128x4096 s_q=2 h_q=16 |large 128x8192 s_q=2 h_q=16 |large 64x16384 s_q=2 h_q=16 |large 128x8192 s_q=1 h_q=16 page=64 fixed' \
  BENCH_ARGS='' scripts/gpu-ab.sh 3 > "$OUT/ab.txt" 2>&1
cp "$OUT/ab_table.md" "$OUT/ab-table.md"
grep -E "^builds|^build |^check " "$OUT/ab.txt" | cut -c1-600
grep -o "RACECHECK SUMMARY[^)]*)" "$OUT/ab.txt"
cut -c1-200 "$OUT/ab-table.md"
