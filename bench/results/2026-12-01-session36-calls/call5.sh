#!/usr/bin/env bash
# Session 36 call 5 (~3 min): how much of a 64-row tile-block is the math
# alone? Call 4's `halfkv` diagnostic (L2 serves each block once per
# request) left the h_q 128 cells unchanged, so L2 bandwidth is not the
# bound. The `nokv` tree (bench/candidates/diag-no-kv-reads.patch, wrong
# results by design) reads no KV at all in the 64-row kernels' TMA blocks:
# its times are the math's own, with no refill latency on the chain.
# Prepared here with
#   AB_PREPARE_BUILD=0 scripts/gpu-ab.sh --prepare-patched 8d7ed8e halfkv=diag-one-tile-reads-kv nokv=diag-no-kv-reads
# Run: OUT=$OUT bash bench/results/2026-12-01-session36-calls/call5.sh
# (carry ab/ and the CUTLASS include folder).
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-$PWD/gpu-out}; mkdir -p "$OUT"
export MLADEC_CUTLASS_DIR=$PWD/.deps/cutlass-pip/cutlass_library/source/include
AB_TREES='8d7ed8e nokv' \
AB_ONLY='128x8192 s_q=1 h_q=128 page=64 fixed|128x4096 s_q=1 h_q=128 page=64 fixed|128x8192 s_q=2 h_q=64 page=64 fixed|64x16384 s_q=2 h_q=128 page=64 fixed|128x8192 s_q=1 h_q=64 page=64 fixed|128x8192 s_q=2 h_q=32 page=64 fixed' \
  BENCH_ARGS='--filter large' scripts/gpu-ab.sh 2 > "$OUT/ab-log.txt" 2>&1
grep -E "^builds|^build |^\| " "$OUT/ab-log.txt" | tail -9
