#!/usr/bin/env bash
# Session 36 call 7 (~6 min): screen of bench/candidates/row-halves-flashmla-order.patch
# (the row form's buffers freed and refilled in halves, warpgroup 1 in
# FlashMLA's P·V order; call 6's traces: warpgroup 1 waits ~2,900 cycles a
# pair for its block, whose buffer both P·V free only at the pair's end).
# Its build spills 4 bytes (cold, once per piece), so both trees build with
# the spill guard off. Prepared here with
#   AB_CMAKE_ARGS='-DMLADEC_PTXAS_WERROR=OFF' scripts/gpu-ab.sh --prepare-patched 38ebd5a halves=row-halves-flashmla-order
# Run: OUT=$OUT bash bench/results/2026-12-01-session36-calls/call7.sh
# (carry ab/ and the CUTLASS include folder).
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-$PWD/gpu-out}; mkdir -p "$OUT"
export MLADEC_CUTLASS_DIR=$PWD/.deps/cutlass-pip/cutlass_library/source/include
AB_CMAKE_ARGS='-DMLADEC_PTXAS_WERROR=OFF' AB_CHECK=4 AB_CHECK_TREES='halves' AB_RACECHECK=24 \
AB_ONLY='128x8192 s_q=1 h_q=128 page=64 fixed|128x4096 s_q=1 h_q=128 page=64 fixed|64x16384 s_q=2 h_q=128 page=64 fixed|128x8192 s_q=2 h_q=64 page=64 fixed|h_q=128 page=16|h_q=128 page=1 |128x8192 s_q=1 h_q=128 page=64 varlen|32x4096 s_q=1 h_q=128|128x8192 s_q=1 h_q=16 page=64 fixed' \
  BENCH_ARGS='' scripts/gpu-ab.sh 2 > "$OUT/ab-log.txt" 2>&1
grep -E "^builds|^build |^check " "$OUT/ab-log.txt"
sed -n '/== after round 2/,$p' "$OUT/ab-log.txt" | cut -c1-150
