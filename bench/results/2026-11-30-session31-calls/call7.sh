#!/usr/bin/env bash
# Session 31 call 7: first-page-early (tree fp) against main (16ed7f2), checked first (matrix
# every 4th case, the screens, racecheck every 24th), then 3 rounds on 64- and 16-row bf16 cells,
# e4m3 16 rows and page 16 / page 1 at h_q 128.
set -u
export MLADEC_CUTLASS_DIR=$PWD/.deps/cutlass-pip/cutlass_library/source/include
nvidia-smi --query-gpu=name,clocks.sm,clocks.max.sm,temperature.gpu --format=csv,noheader
base=$OUT
OUT=$base/a AB_TREES='16ed7f2 fp' AB_CHECK=4 AB_CHECK_TREES='fp' AB_RACECHECK=24 \
  BENCH_ARGS='--filter large' \
  AB_ONLY='128x4096 s_q=1 h_q=128 page=64 fixed|128x8192 s_q=1 h_q=128 page=64 fixed|128x4096 s_q=1 h_q=64 page=64 fixed|128x4096 s_q=1 h_q=16 page=64 fixed|128x8192 s_q=1 h_q=16 page=64 fixed' \
  timeout 400 scripts/gpu-ab.sh 3 2>&1 | tail -12
OUT=$base/b AB_TREES='16ed7f2 fp' BENCH_ARGS='--filter page_size' AB_ONLY='h_q=128 page=1 fixed|h_q=128 page=16 fixed' \
  timeout 80 scripts/gpu-ab.sh 3 2>&1 | tail -4
OUT=$base/c AB_TREES='16ed7f2 fp' BENCH_ARGS='--filter fp8' AB_ONLY='128x4096 s_q=1 h_q=16 page=64 fixed fp8_e4m3|128x8192 s_q=1 h_q=64 page=64 fixed fp8_e4m3' \
  timeout 60 scripts/gpu-ab.sh 3 2>&1 | tail -4
