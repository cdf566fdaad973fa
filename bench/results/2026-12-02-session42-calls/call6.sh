#!/usr/bin/env bash
# Session 42 call 6 (~3 min): how long the 32-row bf16 kernel's math takes
# alone. bench/candidates/diag-no-kv-reads-32.patch (DIAGNOSTIC, wrong
# results by design) lets its TMA blocks read no KV; its time on the
# fixed-length 32-row cells against main's is the math's own share of the
# buffer cycle (two 72 KB buffers: a buffer's cycle is its refill plus the
# math on it). 1 round, no check (the results are wrong by design).
#   here first: scripts/gpu-ab.sh --prepare-patched b0a4bd6 diag32=diag-no-kv-reads-32
#   run: OUT=$OUT bash bench/results/2026-12-02-session42-calls/call6.sh, carry ["ab"]
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-$PWD/gpu-out}; mkdir -p "$OUT"
AB_TREES="b0a4bd6 diag32" \
  AB_ONLY='large 128x4096 s_q=1 h_q=32 page=64 fixed|large 128x8192 s_q=1 h_q=32 page=64 fixed|large 64x16384 s_q=1 h_q=32 page=64 fixed|large 128x8192 s_q=2 h_q=16 page=64 fixed' \
  BENCH_ARGS='' scripts/gpu-ab.sh 1 > "$OUT/ab.txt" 2>&1
cp "$OUT/ab_table.md" "$OUT/ab-table.md"
grep -E "^builds|^build " "$OUT/ab.txt" | cut -c1-300
cut -c1-200 "$OUT/ab-table.md"
