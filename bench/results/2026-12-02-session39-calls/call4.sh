#!/usr/bin/env bash
# Session 39 call 4 (~5 min): an L2 prefetch size on every cp.async
# (cp.async.cg ... .L2::128B / .L2::256B; SASS LDGSTS.E.BYPASS.LTC128B /
# LTC256B): page 1's gather is bound by the bytes it has in flight (call 2),
# so a shorter latency per 16-byte copy is more bytes a cycle. Screen both
# (matrix every 12th case, the screens), then 3 rounds against main on the
# cells whose copies are cp.async: the page-size cells, e4m3 at 64 rows
# (staged by cp.async), bf16 varlen (partial blocks).
# Run: OUT=$OUT bash bench/results/2026-12-02-session39-calls/call4.sh
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-$PWD/gpu-out}; mkdir -p "$OUT"
export MLADEC_CUTLASS_DIR=$PWD/.deps/cutlass-pip/cutlass_library/source/include
AB_CHECK=12 AB_CHECK_TREES='l2p128 l2p256' AB_TREES="a782bc0 l2p128 l2p256" \
  AB_ONLY='page_size |fp8 128x8192 s_q=1 h_q=64 page=64 fixed fp8_e4m3|fp8 128x8192 s_q=1 h_q=128 page=64 fixed fp8_e4m3|large 128x4096 s_q=1 h_q=128 page=64 varlen|large 128x8192 s_q=1 h_q=16 page=64 varlen' \
  BENCH_ARGS='' scripts/gpu-ab.sh 3 > "$OUT/ab-l2prefetch.txt" 2>&1
cp "$OUT/ab_table.md" "$OUT/ab-l2prefetch-table.md"
grep -E "^builds|^build |^check " "$OUT/ab-l2prefetch.txt" | cut -c1-300
cut -c1-200 "$OUT/ab-l2prefetch-table.md"
