#!/usr/bin/env bash
# Session 31 call 3 (call 2 again, the race mended): the e4m3 64-row register-A candidate (tree ra, bench/candidates/
# e4m3-register-a-rows.patch) against main (4cbf0bb): checked first (matrix every 4th case, the
# screens incl. query range and fp8 codes, racecheck every 24th), then 2 rounds on the e4m3
# 64-row cells (filter fp8: exact e4m3 only).
set -u
export MLADEC_CUTLASS_DIR=$PWD/.deps/cutlass-pip/cutlass_library/source/include
nvidia-smi --query-gpu=name,clocks.sm,clocks.max.sm,temperature.gpu --format=csv,noheader
AB_TREES='4cbf0bb ra' AB_CHECK=4 AB_CHECK_TREES='ra' AB_RACECHECK=24 \
  BENCH_ARGS='--filter fp8' \
  AB_ONLY='128x8192 s_q=1 h_q=128 page=64 fixed fp8_e4m3|128x8192 s_q=1 h_q=64 page=64 fixed fp8_e4m3|128x4096 s_q=2 h_q=32 page=64 fixed fp8_e4m3|64x16384 s_q=2 h_q=128 page=64 fixed fp8_e4m3' \
  timeout 560 scripts/gpu-ab.sh 2 2>&1 | tail -30
