#!/usr/bin/env bash
# Session 38 call 3 (~6 min): the gather path's blocks announced by their
# own copies (cp.async.mbarrier.arrive.noinc) instead of the producer's
# cp.async.wait_group — bench/candidates/gather-arrive-when-landed.patch
# (whole blocks, every bf16 form) and gather-halves-arrive-when-landed.patch
# (the 64-row form's gathered blocks in halves too). Call 2 had the halves
# announced by wait_group slower at page 1 (402 -> 422 us): each half
# waited for the previous one to land, half a block in flight. Screen
# (matrix every 6th, screens, racecheck every 24th) and A/B against main,
# 3 rounds, on the cells the gather path serves (page 1 and 16, varlen
# partial blocks, small batch) and a page-64 control.
#   here first: scripts/gpu-ab.sh --prepare-patched 6c0edea noinc=gather-arrive-when-landed \
#                 hnoinc=gather-halves-arrive-when-landed
# Run: OUT=$OUT bash bench/results/2026-12-01-session38-calls/call3.sh
#      (carry the CUTLASS include folder and ab/)
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-$PWD/gpu-out}; mkdir -p "$OUT"
export MLADEC_CUTLASS_DIR=$PWD/.deps/cutlass-pip/cutlass_library/source/include
AB_CHECK=6 AB_CHECK_TREES='noinc hnoinc' AB_RACECHECK=24 AB_TREES='6c0edea noinc hnoinc' \
AB_ONLY='page=1 |h_q=128 page=16|128x4096 s_q=1 h_q=128 page=64 varlen bf16|128x8192 s_q=1 h_q=128 page=64 varlen bf16|128x8192 s_q=1 h_q=16 page=64 varlen bf16|32x4096 s_q=1 h_q=128|1x1024 s_q=1 h_q=128|128x8192 s_q=1 h_q=128 page=64 fixed bf16' \
  BENCH_ARGS='' scripts/gpu-ab.sh 3 > "$OUT/ab-log.txt" 2>&1
grep -E "^builds|^build |^check " "$OUT/ab-log.txt" | cut -c1-300
grep -E "RACECHECK|Failure|FAILED" "$OUT/ab-log.txt" | head
sed -n '/== after round 3/,$p' "$OUT/ab-log.txt" | cut -c1-150
