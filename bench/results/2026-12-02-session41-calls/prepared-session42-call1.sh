#!/usr/bin/env bash
# Prepared in session 41 for the next session's first device call (~6 min;
# bench/NOTES.md v101, "Next device plan (after session 41)"):
#  1. screen (matrix every 6th case, the screens, racecheck every 24th) and
#     2-round A/B of bench/candidates/gather-lines-unrolled.patch (tree
#     `unrolled`) and no-owner-gathers.patch (tree `noowner`) against main,
#     on the page-size cells, the large h_q 16 cells (the 16-row kernel
#     gathers every block since 4812937), a 32-row cell and a 64-row TMA
#     control;
#  2. the fp8 16-row cells with and without MLADEC_KV_TMA=0 (main's build,
#     2 rounds): does the staged cp.async path beat TMA for fp8 too, as it
#     did for bf16 at 16 rows (call 5)?
#   here first: scripts/gpu-ab.sh --prepare-patched <main> unrolled=gather-lines-unrolled noowner=no-owner-gathers
#   run: OUT=$OUT MAIN=<main> bash bench/results/2026-12-02-session41-calls/prepared-session42-call1.sh
#        carry [".deps/cutlass-pip/cutlass_library/source/include", "ab"]
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-$PWD/gpu-out}; mkdir -p "$OUT"
: "${MAIN:?MAIN=<the main commit the patches were applied to>}"
export MLADEC_CUTLASS_DIR=$PWD/.deps/cutlass-pip/cutlass_library/source/include
AB_CHECK=6 AB_CHECK_TREES='unrolled noowner' AB_RACECHECK=24 AB_TREES="$MAIN unrolled noowner" \
  AB_ONLY='page_size 128x4096 s_q=1 h_q=|large 128x4096 s_q=1 h_q=16 |large 128x8192 s_q=1 h_q=16 |large 64x16384 s_q=1 h_q=16 |large 128x8192 s_q=1 h_q=32 page=64 fixed|large 128x8192 s_q=1 h_q=64 page=64 fixed' \
  BENCH_ARGS='' scripts/gpu-ab.sh 2 > "$OUT/ab-unrolled.txt" 2>&1
cp "$OUT/ab_table.md" "$OUT/ab-unrolled-table.md"
grep -E "^builds|^build |^check " "$OUT/ab-unrolled.txt" | cut -c1-400
grep -o "RACECHECK SUMMARY[^)]*)" "$OUT/ab-unrolled.txt"
cut -c1-200 "$OUT/ab-unrolled-table.md"
BENCH="build-ab/$MAIN/bench/mladec_bench" scripts/bench-variants.sh "$OUT/fp8-tma-ab" 2 \
  "default:" "gathered:MLADEC_KV_TMA=0" -- --no-ceilings --filter fp8 --only 's_q=1 h_q=16 ' \
  | tee "$OUT/fp8-tma-ab-table.md"
