#!/usr/bin/env bash
# Session 36 call 3 (~5 min), on 8d7ed8e: the sanitizer sweep (the last
# part of the full check), then Nsight Compute (full set) on one launch of
# the 64-row decode in three cells whose gaps are open: bf16 and e4m3 at
# 128x8192 h_q 128 (is the e4m3 row form bound by shared memory?), and
# bf16 page 1 at 128x4096 h_q 128 (1.43x page 64's time).
# Run: OUT=$OUT MLADEC_COMMIT=<hash> bash bench/results/2026-12-01-session36-calls/call3.sh
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-$PWD/gpu-out}; mkdir -p "$OUT"
PROFILE_CASES='128x8192 s_q=1 h_q=128 page=64 fixed bf16;128x8192 s_q=1 h_q=128 page=64 fixed fp8_e4m3;128x4096 s_q=1 h_q=128 page=1 fixed bf16' \
  scripts/gpu-check.sh sweep profile > "$OUT/check-summary.md" 2>&1
mkdir -p /tmp/x && tar xzf "$OUT"/logs.tgz -C /tmp/x 2>/dev/null
for f in /tmp/x/ncu_1*.txt; do
  echo "== $(basename "$f")"
  grep -E "^ +(Duration|DRAM Throughput|L1/TEX Cache Throughput|L2 Cache Throughput|Compute \(SM\) Throughput|Memory Throughput|Shared Memory|Issue Slots Busy|No Eligible|Warp Cycles Per Issued Instruction)|Bank|Tensor|pipe" "$f" | head -30
done
sed -n '/==== summary/,$p' "$OUT/check-summary.md"
