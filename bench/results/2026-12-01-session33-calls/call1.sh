#!/usr/bin/env bash
# Session 33, call 1: how fast the SM clock recovers after a load, what the clock probe reads
# after an idle gap, and the benchmark under the order-independent protocol (--settle-ms)
# beside the default protocol, same process tree, same machine start. nvidia-smi samples the
# clock, power and throttle reasons every 20 ms throughout.
set -u
export MLADEC_CUTLASS_DIR=$PWD/.deps/cutlass-pip/cutlass_library/source/include
cmake -S . -B build-n -G Ninja -DCMAKE_BUILD_TYPE=Release -DMLADEC_BUILD_TESTS=OFF \
  -DMLADEC_CUTLASS_DIR=$MLADEC_CUTLASS_DIR >/dev/null &&
  timeout 200 cmake --build build-n -j16 --target mladec_bench >$OUT/build-n.log 2>&1 ||
  { tail -20 $OUT/build-n.log; exit 1; }
export MLADEC_COMMIT=${MLADEC_COMMIT:-unknown}
reasons=clocks_event_reasons.active
nvidia-smi --query-gpu=$reasons --format=csv,noheader >/dev/null 2>&1 || reasons=clocks_throttle_reasons.active
nvidia-smi --query-gpu=name,power.limit,clocks.max.sm,clocks.sm,temperature.gpu --format=csv,noheader
nvidia-smi --query-gpu=timestamp,clocks.sm,power.draw,temperature.gpu,$reasons \
  --format=csv,noheader,nounits -lms 20 > $OUT/smi.csv 2>/dev/null & smi=$!
B=build-n/bench/mladec_bench
# 1. Recovery: each h_q 128 cell held for 3 s (the clock falls to ~1500 MHz), then the next
#    cell's settle wait (at most 5 s) records the probe's first reading and how long it took.
timeout 120 $B --no-ceilings --filter large --only 'h_q=128 page=64 fixed' --warmup-ms 3000 \
  --settle-ms 5000 --json $OUT/recovery.json --markdown /dev/null > $OUT/recovery.log 2>&1
echo "recovery rc $?"; grep -o 'h_q=128.*' $OUT/recovery.log | cut -c1-200
# 2. What an idle gap does: probe readings after 0.1..3 s of idle, with no load before.
sleep 3
timeout 60 $B --no-ceilings --filter small_batch --only '1x1024 s_q=1 h_q=16' --settle-ms 3000 \
  --json $OUT/idle.json --markdown /dev/null > $OUT/idle.log 2>&1; echo "idle rc $?"; tail -1 $OUT/idle.log
# 3. The benchmark, default protocol then settled (bound 1 s), one after the other.
timeout 200 $B --json $OUT/bench.json --markdown $OUT/bench.md > $OUT/bench.log 2>&1
echo "default rc $?"
timeout 280 $B --settle-ms 1000 --json $OUT/bench-settled.json --markdown $OUT/bench-settled.md \
  > $OUT/bench-settled.log 2>&1
echo "settled rc $?"
kill $smi; wait $smi 2>/dev/null
gzip -k $OUT/smi.csv
python3 - $OUT/bench.json $OUT/bench-settled.json <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
print("gemm: %.0f TFLOPS at %s MHz | settled: %.0f at %s MHz" % (a["ceilings"]["gemm_bf16_tflops"],
      a["ceilings"]["gemm_sm_mhz"], b["ceilings"]["gemm_bf16_tflops"], b["ceilings"]["gemm_sm_mhz"]))
key = lambda c: (c["group"], c["batch"], c["seqlen"], c["q_len"], c["heads"], c["page_size"],
                 c["varlen"], c["kv_dtype"], c["mode"], c.get("fp8_compute"), c.get("kv_in_l2"))
bw = {key(c): c for c in b["cases"]}
waits = sorted(c["settle_ms"] for c in b["cases"])
print("settle waits: median %.0f ms, max %.0f, unsettled %d of %d" % (
      waits[len(waits)//2], waits[-1], sum(not c["settled"] for c in b["cases"]), len(waits)))
for c in a["cases"]:
    w = bw.get(key(c))
    if not w: continue
    print("%-11s %3dx%-5d s_q%d h%-3d p%-3d %-6s %-13s %s %8.1f us %4.0f | %8.1f us %4.0f->%4.0f (%4.0f ms from %4.0f) %+5.1f%%" % (
        c["group"][:11], c["batch"], c["seqlen"], c["q_len"], c["heads"], c["page_size"],
        "var" if c["varlen"] else "fixed", c["kv_dtype"], c["mode"][:5], c["us"], c["sm_mhz"],
        w["us"], w["start_mhz"], w["sm_mhz"], w["settle_ms"], w["settle_first_mhz"],
        100 * (w["us"] / c["us"] - 1)))
PY
