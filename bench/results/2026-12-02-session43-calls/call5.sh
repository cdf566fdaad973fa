#!/usr/bin/env bash
# Session 43 call 5 (~2 min): the combine's chunk form at most half a wave
# (combine-chunk-form-half-wave: kChunkFormBlocksPerWorker 8 -> 4) on top of
# sg32, against sg32, on the small-batch h_q 16 cells. Call 4's timelines:
# 16x1024 and 16x4096 h_q 16 (1,024 chunk CTAs for 16 units of ~8 splits)
# end 7.0 µs after the decode's last result, 4x4096 (256 chunk CTAs) 3.1
# and 32x1024 (quarter rows, 256 CTAs) 2.8. Predicted: the three 16x cells
# -3..-4 µs (16x1024 18.8 -> ~15, FlashMLA 16), no other cell's form moves
# (1x and 4x keep the chunk form, 32x the rows).
#   here first: scripts/gpu-ab.sh --prepare-patched f177af8 \
#     sg32=transposed-32-split-scores,transposed-32-gathered \
#     sgc=transposed-32-split-scores,transposed-32-gathered,combine-chunk-form-half-wave
#   run: OUT=$OUT bash bench/results/2026-12-02-session43-calls/call5.sh, carry ["ab"]
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-$PWD/gpu-out}; mkdir -p "$OUT"
AB_TREES="sg32 sgc" \
  AB_ONLY='small_batch 16x|small_batch 4x4096 s_q=1 h_q=16 |small_batch 1x32768 s_q=1 h_q=16 |small_batch 32x1024 s_q=1 h_q=16 ' \
  BENCH_ARGS='--no-ceilings --filter small_batch' scripts/gpu-ab.sh 3 > "$OUT/ab.txt" 2>&1
cp "$OUT/ab_table.md" "$OUT/ab-table.md"
grep -E "^builds|^build " "$OUT/ab.txt" | cut -c1-600
cut -c1-200 "$OUT/ab-table.md"
