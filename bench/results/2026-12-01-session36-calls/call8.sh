#!/usr/bin/env bash
# Session 36 call 8 (~3 min, timing only): bench/candidates/row-halves.patch
# — call 7's halves without warpgroup 1's FlashMLA order (the pair step as
# in main, each buffer half freed by its reader, S on half A first) —
# against main. Call 7: the FlashMLA order made page 64 h_q 128 +2.7%, page
# 1 +11%, while page 16 (older order, halves only) gained 2.5%.
# Prepared here with
#   AB_CMAKE_ARGS='-DMLADEC_PTXAS_WERROR=OFF' scripts/gpu-ab.sh --prepare-patched 38ebd5a halves=row-halves-flashmla-order halvesonly=row-halves
# Run: OUT=$OUT bash bench/results/2026-12-01-session36-calls/call8.sh
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-$PWD/gpu-out}; mkdir -p "$OUT"
export MLADEC_CUTLASS_DIR=$PWD/.deps/cutlass-pip/cutlass_library/source/include
AB_TREES='38ebd5a halvesonly' AB_CMAKE_ARGS='-DMLADEC_PTXAS_WERROR=OFF' \
AB_ONLY='128x8192 s_q=1 h_q=128 page=64 fixed bf16|128x4096 s_q=1 h_q=128 page=64 fixed bf16|64x16384 s_q=2 h_q=128 page=64 fixed bf16|h_q=128 page=16|h_q=128 page=1 |128x8192 s_q=1 h_q=128 page=64 varlen bf16|128x8192 s_q=1 h_q=64 page=64 fixed fp8_blockwise|128x8192 s_q=1 h_q=128 page=64 fixed fp8_e4m3' \
  BENCH_ARGS='' scripts/gpu-ab.sh 2 > "$OUT/ab-log.txt" 2>&1
grep -E "^builds|^build " "$OUT/ab-log.txt"
sed -n '/== after round 2/,$p' "$OUT/ab-log.txt" | cut -c1-150
