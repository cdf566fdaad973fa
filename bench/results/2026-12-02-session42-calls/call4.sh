#!/usr/bin/env bash
# Session 42 call 4: is v102's 3–9% on the 128-row bf16 page-64 cells
# (h_q·s_q = 128) a change of 1fd631e or run-to-run spread (v99–v101 moved
# those cells by as much)? 3-round A/B of
#   1055e10  main before the merge (v101's kernels but the 16-row dispatch)
#   1fd631e  the merge (row-gather-layout, unrolled gather, no 16-row TMA
#            code, one-rule block helpers)
#   ed4c1db  1fd631e without one-rule-block-helpers (a side commit, A/B only)
#   here first: scripts/gpu-ab.sh --prepare 1055e10 1fd631e ed4c1db
#   run: OUT=$OUT bash bench/results/2026-12-02-session42-calls/call4.sh, carry ["ab"]
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-$PWD/gpu-out}; mkdir -p "$OUT"
AB_TREES='1055e10 1fd631e ed4c1db' BENCH_ARGS='--filter large' \
  AB_ONLY='large 128x4096 s_q=1 h_q=128|large 128x4096 s_q=2 h_q=64|large 128x8192 s_q=1 h_q=128|large 128x8192 s_q=2 h_q=64|large 64x16384 s_q=1 h_q=128|large 64x16384 s_q=2 h_q=64|large 128x8192 s_q=1 h_q=16 page=64 fixed' \
  scripts/gpu-ab.sh 3 > "$OUT/ab.txt" 2>&1
grep -E "^builds|^build " "$OUT/ab.txt" | cut -c1-300
cut -c1-200 "$OUT/ab_table.md"
