#!/usr/bin/env bash
# Prepared in session 36 for session 37's first device call (~7 min): the
# screen and A/B of bench/candidates/row-halves.patch,
# row-halves-split-tma-only.patch and row-halves-gather.patch (bench/NOTES.md v96).
#   here first:  scripts/gpu-ab.sh --prepare-patched <main> halves=row-halves \
#                  halves2=row-halves-split-tma-only halves3=row-halves-gather
#                (builds each patched benchmark here: ~2.5 min a tree on two cores)
#   then:        OUT=$OUT bash bench/results/2026-12-01-session36-calls/prepared-session37-call1.sh
#                with carry [".deps/cutlass-pip/cutlass_library/source/include", "ab"]
# It checks the three trees (matrix every 6th case, the screens,
# racecheck every 40th) and times the 64-row cells call 8 moved (large
# h_q 128 / s_q 2 h_q 64, page 16 and 1, L2-resident), 2 rounds. Decide:
# merge the better tree (then the full check: smoke tests bench sanitize,
# and sweep) if the large h_q 128 cells gain >= 1% and page 1 stays within
# ~2% (call 8: +3.6%; halves2 keeps page 1's S whole, halves3 copies page
# 1's blocks in halves too).
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-$PWD/gpu-out}; mkdir -p "$OUT"
export MLADEC_CUTLASS_DIR=$PWD/.deps/cutlass-pip/cutlass_library/source/include
AB_CHECK=6 AB_CHECK_TREES='halves halves2 halves3' AB_RACECHECK=40 \
AB_ONLY='h_q=128 page=64 fixed bf16|s_q=2 h_q=64 page=64 fixed bf16|h_q=128 page=64 varlen bf16|h_q=128 page=16|h_q=128 page=1 |32x4096 s_q=1 h_q=128|4x32768 s_q=1 h_q=128|128x8192 s_q=1 h_q=64 page=64 fixed fp8_blockwise' \
  BENCH_ARGS='' scripts/gpu-ab.sh 2 > "$OUT/ab-log.txt" 2>&1
grep -E "^builds|^build |^check " "$OUT/ab-log.txt" | cut -c1-400
sed -n '/== after round 2/,$p' "$OUT/ab-log.txt" | cut -c1-150
