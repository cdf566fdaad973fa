#!/usr/bin/env bash
# Session 32, call 3: are the compute-bound bf16 cells power-limited? Call 1 timed them fast in
# 4 processes (128x8192 h_q 128: 512-515 us; v84's run of record read 554), its timelines kept
# the tile pairs together, and the lone outliers were the block-traced CTAs 0 and 1. Sample the
# SM clock, power and throttle reasons (nvidia-smi every 10 ms) while each cell runs alone, as
# the benchmark times it, and while the cuBLAS ceiling runs.
set -u
export MLADEC_CUTLASS_DIR=$PWD/.deps/cutlass-pip/cutlass_library/source/include
cmake -S . -B build-n -G Ninja -DCMAKE_BUILD_TYPE=Release -DMLADEC_BUILD_TESTS=OFF \
  -DMLADEC_CUTLASS_DIR=$MLADEC_CUTLASS_DIR >/dev/null &&
  timeout 150 cmake --build build-n -j16 --target mladec_bench >$OUT/build-n.log 2>&1 ||
  { tail -20 $OUT/build-n.log; exit 1; }
reasons=clocks_event_reasons.active
nvidia-smi --query-gpu=$reasons --format=csv,noheader >/dev/null 2>&1 || reasons=clocks_throttle_reasons.active
nvidia-smi --query-gpu=name,power.limit,clocks.max.sm,clocks.sm,temperature.gpu --format=csv,noheader
sampled() {  # label, then the bench arguments
  local label=$1; shift
  nvidia-smi --query-gpu=clocks.sm,power.draw,temperature.gpu,$reasons \
    --format=csv,noheader,nounits -lms 10 > $OUT/smi-$label.csv 2>/dev/null & local smi=$!
  sleep 0.3
  build-n/bench/mladec_bench "$@" --json $OUT/b-$label.json --markdown /dev/null >/dev/null 2>&1
  sleep 0.1; kill $smi; wait $smi 2>/dev/null
  python3 - $OUT/smi-$label.csv $OUT/b-$label.json $label <<'PY'
import json, sys
rows = [l.split(",") for l in open(sys.argv[1]) if l.strip()]
busy = [r for r in rows if float(r[1]) > 150]  # samples under load
try:
    d = json.load(open(sys.argv[2])); us = " ".join(f"{c['us']:.0f}" for c in d["cases"])
except Exception:
    us = "-"
if not busy:
    print(f"{sys.argv[3]:>28}: {us} us, no loaded samples of {len(rows)}"); sys.exit()
clk = sorted(float(r[0]) for r in busy); pw = sorted(float(r[1]) for r in busy)
reasons = sorted({r[3].strip() for r in busy})
print(f"{sys.argv[3]:>28}: {us} us | {len(busy)} samples, SM MHz min {clk[0]:.0f} med "
      f"{clk[len(clk)//2]:.0f} max {clk[-1]:.0f} | W med {pw[len(pw)//2]:.0f} max {pw[-1]:.0f} "
      f"| reasons {' '.join(reasons)}")
PY
}
for r in 1 2; do
  sampled h128-4096-r$r --no-ceilings --filter large --only '128x4096 s_q=1 h_q=128 page=64 fixed'
  sampled h128-8192-r$r --no-ceilings --filter large --only '128x8192 s_q=1 h_q=128 page=64 fixed'
  sampled h128s2-8192-r$r --no-ceilings --filter large --only '128x8192 s_q=2 h_q=128 page=64 fixed'
  sampled h16-8192-r$r --no-ceilings --filter large --only '128x8192 s_q=1 h_q=16 page=64 fixed'
  sampled h128-8192-w200-r$r --no-ceilings --warmup-ms 200 --filter large --only '128x8192 s_q=1 h_q=128 page=64 fixed'
done
sampled ceilings --filter large --only 'no case matches this'
sampled e4m3-h128-8192 --no-ceilings --filter fp8 --only '128x8192 s_q=1 h_q=128 page=64 fixed fp8_e4m3'
