#!/usr/bin/env bash
# Prepared in session 38 for the next session's first device call (~7 min;
# bench/NOTES.md v98, "Next device plan (after session 38)", items 1 and 3).
#   here first:  scripts/gpu-ab.sh --prepare-patched <main> fp8arrive=fp8-staged-arrive-when-landed
#                git archive 14bb437 -- . ':!bench/results' | (mkdir ab/14bb437 && tar x -C ab/14bb437)
#   then:        OUT=$OUT MAIN=<main> bash bench/results/2026-12-01-session38-calls/prepared-session39-call1.sh
#                with carry [".deps/cutlass-pip/cutlass_library/source/include", "ab"]
# 1. The bimodal h_q 128 cells (v97-v98: 128x8192 h_q 128 486-531 us in
#    one tree and call; 64x16384 varlen 524 -> 563 between two benchmarks):
#    14bb437 (before the halves) against main, 5 rounds at the default
#    0.5 ms timings, then 3 rounds timing 5 ms each (--min-timing-ms 5).
#    Read: do the modes follow the tree, the round, or the timing length?
# 2. fp8-staged-arrive-when-landed: screen (matrix every 6th, the screens,
#    racecheck every 24th) and A/B against main on the fp8 varlen cells at
#    16 and 32 rows, 3 rounds. Merge if no cell is slower by > 0.5% and the
#    screen is clean (then the full check, smoke tests bench sanitize sweep).
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-$PWD/gpu-out}; mkdir -p "$OUT"
: "${MAIN:?MAIN=<the main commit prepared in ab/>}"
export MLADEC_CUTLASS_DIR=$PWD/.deps/cutlass-pip/cutlass_library/source/include
# (14bb437's benchmark matches --only without the group: --filter picks it.)
large='128x8192 s_q=1 h_q=128|64x16384 s_q=1 h_q=128|128x4096 s_q=1 h_q=128'
AB_TREES="$MAIN 14bb437" AB_ONLY="$large" BENCH_ARGS='--filter large' \
  scripts/gpu-ab.sh 5 > "$OUT/ab-bimodal.txt" 2>&1
cp "$OUT/ab_table.md" "$OUT/ab-bimodal-table.md"
AB_TREES="$MAIN 14bb437" AB_ONLY="$large" BENCH_ARGS='--filter large --min-timing-ms 5' \
  scripts/gpu-ab.sh 3 > "$OUT/ab-bimodal-5ms.txt" 2>&1
cp "$OUT/ab_table.md" "$OUT/ab-bimodal-5ms-table.md"
AB_CHECK=6 AB_CHECK_TREES='fp8arrive' AB_RACECHECK=24 AB_TREES="$MAIN fp8arrive" \
  AB_ONLY='h_q=16 page=64 varlen fp8|h_q=32 page=64 varlen fp8_e4m3|s_q=2 h_q=16 page=64 varlen fp8_e4m3' \
  BENCH_ARGS='' scripts/gpu-ab.sh 3 > "$OUT/ab-fp8arrive.txt" 2>&1
cp "$OUT/ab_table.md" "$OUT/ab-fp8arrive-table.md"
grep -E "^builds|^build |^check " "$OUT/ab-fp8arrive.txt" | cut -c1-300
for t in ab-bimodal-table ab-bimodal-5ms-table ab-fp8arrive-table; do echo "== $t"; cut -c1-160 "$OUT/$t.md"; done
