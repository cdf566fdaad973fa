#!/usr/bin/env bash
# Session 36 call 4 (~4 min): is the h_q 128 row form bound by L2?
# Call 3's Nsight read L2 throughput at 95.7% for 128x8192 h_q 128 bf16
# (DRAM 50.7%, L2 hit rate 47.7%: each request's two 64-row tiles read
# every block through L2). The diagnostic tree `halfkv`
# (bench/candidates/diag-one-tile-reads-kv.patch, wrong results by
# design) lets only a request's first tile read its KV, as a 2-CTA TMA
# multicast would; the gain it shows bounds what clusters could give.
# Prepared here with
#   AB_PREPARE_BUILD=0 scripts/gpu-ab.sh --prepare-patched 8d7ed8e halfkv=diag-one-tile-reads-kv
# Run: OUT=$OUT bash bench/results/2026-12-01-session36-calls/call4.sh
# (carry ab/ and the CUTLASS include folder).
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-$PWD/gpu-out}; mkdir -p "$OUT"
export MLADEC_CUTLASS_DIR=$PWD/.deps/cutlass-pip/cutlass_library/source/include
AB_ONLY='128x8192 s_q=1 h_q=128 page=64 fixed|128x4096 s_q=1 h_q=128 page=64 fixed|128x8192 s_q=2 h_q=64 page=64 fixed|64x16384 s_q=2 h_q=128 page=64 fixed|128x8192 s_q=1 h_q=128 page=64 varlen|128x8192 s_q=1 h_q=64 page=64 fixed' \
  BENCH_ARGS='--filter large' scripts/gpu-ab.sh 2 > "$OUT/ab-log.txt" 2>&1
for t in 8d7ed8e halfkv; do
  echo "== ncu $t"
  ncu --clock-control none -k regex:decode --launch-count 1 --section SpeedOfLight \
    --metrics breakdown:lts__throughput.avg.pct_of_peak_sustained_elapsed \
    build-ab/$t/bench/mladec_bench --no-ceilings --filter large \
    --only '128x8192 s_q=1 h_q=128 page=64 fixed' --json /dev/null --markdown /dev/null \
    > "$OUT/ncu-l2-$t.txt" 2>&1
  grep -E "Duration|DRAM Throughput|L2 Cache Throughput|lts__|ltc" "$OUT/ncu-l2-$t.txt" | head -30
done
grep -E "^builds|^build |^\| " "$OUT/ab-log.txt" | tail -12
