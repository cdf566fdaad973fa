#!/usr/bin/env bash
# Prepared in session 41 for the next session's second device call (~3 min,
# right after prepared-session42-call1.sh, whose ab/ trees and builds it
# reuses if the machine is still warm, else rebuilds main and unrolled):
# the gather against the TMA block path on one build each
# (scripts/bench-variants.sh, "gathered:MLADEC_KV_TMA=0", 2 rounds):
#  1. the 32-row bf16 cells (s_q 1 h_q 32, s_q 2 h_q 16; fixed and varlen)
#     on the unrolled tree: v101 call 5 had the one-group-a-step gather
#     within −4..+3% of TMA there — does the unrolled one tip it?
#  2. the fp8 16-row cells (e4m3 and blockwise, s_q 1 h_q 16) on main:
#     their staged cp.async copies already take two lanes per token and
#     one shuffle (fp8_kv_tiles.cuh: stage_e4m3_rows) — do they beat TMA
#     as bf16's did?
#   run: OUT=$OUT MAIN=<main> bash bench/results/2026-12-02-session41-calls/prepared-session42-call2.sh
#        carry [".deps/cutlass-pip/cutlass_library/source/include", "ab"]
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-$PWD/gpu-out}; mkdir -p "$OUT"
: "${MAIN:?MAIN=<the main commit the patches were applied to>}"
cutlass=$PWD/.deps/cutlass-pip/cutlass_library/source/include
for tree in "$MAIN" unrolled; do
  if [ ! -x "build-ab/$tree/bench/mladec_bench" ]; then
    cmake -S "ab/$tree" -B "build-ab/$tree" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DMLADEC_BUILD_TESTS=OFF -DMLADEC_CUTLASS_DIR="$cutlass" > /tmp/configure-$tree.log 2>&1 &&
      cmake --build "build-ab/$tree" -j16 --target mladec_bench > /tmp/build-$tree.log 2>&1 ||
      { echo "build $tree failed"; tail -5 /tmp/build-$tree.log; exit 1; }
  fi
done
BENCH="build-ab/unrolled/bench/mladec_bench" scripts/bench-variants.sh "$OUT/rows32" 2 \
  "default:" "gathered:MLADEC_KV_TMA=0" -- --no-ceilings --filter large \
  --only 's_q=1 h_q=32 ' | tee "$OUT/rows32-table.md"
BENCH="build-ab/unrolled/bench/mladec_bench" scripts/bench-variants.sh "$OUT/rows32-sq2" 2 \
  "default:" "gathered:MLADEC_KV_TMA=0" -- --no-ceilings --filter large \
  --only 's_q=2 h_q=16 ' | tee "$OUT/rows32-sq2-table.md"
BENCH="build-ab/$MAIN/bench/mladec_bench" scripts/bench-variants.sh "$OUT/fp8" 2 \
  "default:" "gathered:MLADEC_KV_TMA=0" -- --no-ceilings --filter fp8 \
  --only 's_q=1 h_q=16 ' | tee "$OUT/fp8-table.md"
