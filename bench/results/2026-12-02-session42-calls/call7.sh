#!/usr/bin/env bash
# Session 42 call 7 (~3 min): does the 32-row bf16 kernel's math alone
# shorten when Sᵀ is split between the warpgroups? diag32 (call 6: its TMA
# blocks read no KV) against diagsplit (the same plus
# transposed-32-split-scores.patch, which call 5 found neutral with the
# reads). 1 round, no check (wrong results by design).
#   here first: scripts/gpu-ab.sh --prepare-patched b0a4bd6 diag32=diag-no-kv-reads-32 \
#                 diagsplit=diag-no-kv-reads-32,transposed-32-split-scores
#   run: OUT=$OUT bash bench/results/2026-12-02-session42-calls/call7.sh, carry ["ab"]
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-$PWD/gpu-out}; mkdir -p "$OUT"
AB_TREES="diag32 diagsplit" \
  AB_ONLY='large 128x4096 s_q=1 h_q=32 page=64 fixed|large 128x8192 s_q=1 h_q=32 page=64 fixed|large 64x16384 s_q=1 h_q=32 page=64 fixed|large 128x8192 s_q=2 h_q=16 page=64 fixed' \
  BENCH_ARGS='' scripts/gpu-ab.sh 1 > "$OUT/ab.txt" 2>&1
cp "$OUT/ab_table.md" "$OUT/ab-table.md"
grep -E "^builds|^build " "$OUT/ab.txt" | cut -c1-300
cut -c1-200 "$OUT/ab-table.md"
