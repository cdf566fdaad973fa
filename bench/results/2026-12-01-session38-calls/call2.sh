#!/usr/bin/env bash
# Session 38 call 2 (~6 min): bench/candidates/row-halves-gather.patch
# rebased on 6c0edea (the gather path's blocks copied in halves, with the
# by-warpgroup empty barriers) — matrix every 6th case, the screens (batch
# invariance: its session-37 form failed it), racecheck every 24th — then
# an A/B of main 6c0edea, the gather tree and 14bb437 (before the halves),
# 3 rounds, on the 64-row bf16 cells the halves and the gather touch.
#   here first: scripts/gpu-ab.sh --prepare-patched 6c0edea gather=row-halves-gather
#               and ab/14bb437 from `git archive 14bb437` (see README)
# Run: OUT=$OUT bash bench/results/2026-12-01-session38-calls/call2.sh
#      (carry the CUTLASS include folder and ab/)
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-$PWD/gpu-out}; mkdir -p "$OUT"
export MLADEC_CUTLASS_DIR=$PWD/.deps/cutlass-pip/cutlass_library/source/include
AB_CHECK=6 AB_CHECK_TREES='gather' AB_RACECHECK=24 AB_TREES='6c0edea gather 14bb437' \
AB_ONLY='large 128x8192 s_q=1 h_q=128 page=64|large 128x4096 s_q=1 h_q=128 page=64|large 64x16384 s_q=1 h_q=128 page=64|large 64x16384 s_q=2 h_q=128 page=64|large 128x8192 s_q=2 h_q=64 page=64|h_q=128 page=16|page=1 |l2_resident 128x8192 s_q=1 h_q=128|32x4096 s_q=1 h_q=128|4x32768 s_q=1 h_q=128' \
  BENCH_ARGS='' scripts/gpu-ab.sh 3 > "$OUT/ab-log.txt" 2>&1
grep -E "^builds|^build |^check " "$OUT/ab-log.txt" | cut -c1-400
sed -n '/== after round 3/,$p' "$OUT/ab-log.txt" | cut -c1-150
