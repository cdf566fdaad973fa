#!/usr/bin/env bash
# Session 30 call 2: against main (998d26f), rows-rescale-skip (rs) on the 64-row compute-bound
# cells, and the bf16 next-block L2 prefetch (pf: TMA blocks; pfall: the gather path too) on the
# memory-bound cells and page sizes 1 / 16. rs and pfall checked first (matrix every 4th case,
# the screens incl. query range, racecheck every 24th); pf's change is a subset of pfall's.
set -u
export MLADEC_CUTLASS_DIR=$PWD/.deps/cutlass-pip/cutlass_library/source/include
nvidia-smi --query-gpu=name,clocks.sm,clocks.max.sm,temperature.gpu --format=csv,noheader
base=$OUT
OUT=$base/a AB_TREES='998d26f rs pf pfall' AB_CHECK=4 AB_CHECK_TREES='rs pfall' AB_RACECHECK=24 \
  BENCH_ARGS='--filter large' \
  AB_ONLY='128x8192 s_q=1 h_q=128 page=64 fixed|64x16384 s_q=2 h_q=128 page=64 fixed|128x8192 s_q=1 h_q=16 page=64 fixed|64x16384 s_q=1 h_q=32 page=64 fixed' \
  timeout 390 scripts/gpu-ab.sh 2 2>&1 | tail -16
OUT=$base/b AB_TREES='998d26f pf pfall' BENCH_ARGS='--filter page_size' \
  AB_ONLY='page=1 fixed|page=16 fixed' \
  timeout 100 scripts/gpu-ab.sh 2 2>&1 | tail -8
