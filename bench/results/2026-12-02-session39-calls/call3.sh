#!/usr/bin/env bash
# Session 39 call 3 (~7 min): row boxes — the 64-row bf16 gather's full
# blocks move part of each row by one-token TMA copies next to cp.async
# (call 2's trace: the gather issues at ~18 bytes a cycle an SM, bytes-bound,
# 73% of the producer's time at page 1 h_q 128).
#   ab/cd30568  main
#   ab/rowbox0  the RoPE slab by TMA (1/9 of the bytes)
#   ab/rowbox1  the RoPE slab and one V slab of each half (3/9)
#   ab/rowbox2  the RoPE slab and two V slabs of each half (5/9)
# Screen rowbox1 (matrix every 4th case, the screens, racecheck every 24th),
# then 3 rounds on the page-size cells and two page-64 64-row cells.
# Run: OUT=$OUT bash bench/results/2026-12-02-session39-calls/call3.sh
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-$PWD/gpu-out}; mkdir -p "$OUT"
export MLADEC_CUTLASS_DIR=$PWD/.deps/cutlass-pip/cutlass_library/source/include
AB_CHECK=4 AB_CHECK_TREES='rowbox1' AB_RACECHECK=24 AB_TREES="cd30568 rowbox0 rowbox1 rowbox2" \
  AB_ONLY='page_size |large 128x4096 s_q=1 h_q=128 page=64 fixed|large 128x8192 s_q=1 h_q=64 page=64 fixed' \
  BENCH_ARGS='' scripts/gpu-ab.sh 3 > "$OUT/ab-rowbox.txt" 2>&1
cp "$OUT/ab_table.md" "$OUT/ab-rowbox-table.md"
grep -E "^builds|^build |^check " "$OUT/ab-rowbox.txt" | cut -c1-400
cut -c1-200 "$OUT/ab-rowbox-table.md"
