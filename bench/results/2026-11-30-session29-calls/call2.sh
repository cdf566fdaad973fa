#!/usr/bin/env bash
# Session 29 call 2: against main (1100221), row-softmax-whole-blocks (sm), sm + rows-rescale-skip
# (both) on the 64-row compute-bound cells, and tma-4d-box (t4d: one 72 KiB copy per block) on the
# memory-bound cells (call 1's read ceilings: 8 KiB bulk copies 4.0 TB/s, 36/72 KiB ones 4.52).
# both and t4d checked first (matrix every 4th case, the screens, racecheck every 24th).
# Part A: bf16 (--filter large); B: fp8-compute for sm/both; C: fp8 16 rows for t4d.
set -u
export MLADEC_CUTLASS_DIR=$PWD/.deps/cutlass-pip/cutlass_library/source/include
nvidia-smi --query-gpu=name,clocks.sm,clocks.max.sm,temperature.gpu --format=csv,noheader
base=$OUT
OUT=$base/a AB_TREES='1100221 sm both t4d' AB_CHECK=4 AB_CHECK_TREES='both t4d' AB_RACECHECK=24 \
  BENCH_ARGS='--filter large' \
  AB_ONLY='128x8192 s_q=1 h_q=128 page=64 fixed|128x8192 s_q=1 h_q=64 page=64 fixed|64x16384 s_q=2 h_q=128 page=64 fixed|128x8192 s_q=1 h_q=16 page=64 fixed|64x16384 s_q=1 h_q=32 page=64 fixed' \
  timeout 400 scripts/gpu-ab.sh 2 2>&1 | tail -16
OUT=$base/b AB_TREES='1100221 sm both' BENCH_ARGS='--filter fp8_compute' \
  AB_ONLY='128x8192 s_q=1 h_q=128 page=64 fixed|64x16384 s_q=2 h_q=128 page=64 fixed' \
  timeout 80 scripts/gpu-ab.sh 2 2>&1 | tail -5
OUT=$base/c AB_TREES='1100221 t4d' BENCH_ARGS='--filter fp8' \
  AB_ONLY='128x8192 s_q=1 h_q=16 page=64 fixed|64x16384 s_q=1 h_q=16 page=64 fixed' \
  timeout 70 scripts/gpu-ab.sh 2 2>&1 | tail -7
