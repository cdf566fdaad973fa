#!/usr/bin/env bash
# Prepared in session 41 for the next session's first device call
# (bench/NOTES.md v101, "Next device plan (after session 41)"): screen
# (matrix every 6th case, the screens, racecheck every 24th) of two
# candidates and a 2-round A/B of four trees:
#   main      the 16-row bf16 kernel gathers every block (4812937)
#   unrolled  bench/candidates/row-gather-layout.patch (the mapping as
#             functions, CPU-tested) + gather-lines-unrolled.patch: the
#             producer's four row groups unrolled (screened)
#   noowner   bench/candidates/no-owner-gathers.patch: the plain 64-row
#             kernel gathers page 1's blocks alone (screened)
#   tma16     bench/candidates/bf16-16-row-tma.patch: the 16-row bf16
#             kernel back on the TMA block path (v101's dispatch; its
#             kernels are main's, checked in session 41 call 4)
# on the page-size cells (page 16 h_q 128: a 64-row TMA control),
# 128x8192 s_q 1 h_q 16 fixed, the 24 small-batch cells (h_q 16: is the
# gather's first block slower to arrive than a TMA block's in a short
# step? h_q 128: controls) and a 32-row control (TMA in every tree).
# ~8 min: builds ~60 s, two screens ~80 s each, 2 rounds of ~140 s.
# Then prepared-session42-call2.sh.
#   here first: scripts/gpu-ab.sh --prepare-patched <main> \
#                 unrolled=row-gather-layout,gather-lines-unrolled \
#                 noowner=no-owner-gathers tma16=bf16-16-row-tma
#   run: OUT=$OUT MAIN=<main> bash bench/results/2026-12-02-session41-calls/prepared-session42-call1.sh
#        carry [".deps/cutlass-pip/cutlass_library/source/include", "ab"]
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-$PWD/gpu-out}; mkdir -p "$OUT"
: "${MAIN:?MAIN=<the main commit the patches were applied to>}"
export MLADEC_CUTLASS_DIR=$PWD/.deps/cutlass-pip/cutlass_library/source/include
AB_CHECK=6 AB_CHECK_TREES='unrolled noowner' AB_RACECHECK=24 \
  AB_TREES="$MAIN unrolled noowner tma16" \
  AB_ONLY='page_size 128x4096 s_q=1 h_q=|large 128x8192 s_q=1 h_q=16 page=64 fixed|large 128x8192 s_q=1 h_q=32 page=64 fixed|small_batch' \
  BENCH_ARGS='' scripts/gpu-ab.sh 2 > "$OUT/ab.txt" 2>&1
cp "$OUT/ab_table.md" "$OUT/ab-table.md"
grep -E "^builds|^build |^check " "$OUT/ab.txt" | cut -c1-400
grep -o "RACECHECK SUMMARY[^)]*)" "$OUT/ab.txt"
cut -c1-200 "$OUT/ab-table.md"
