#!/usr/bin/env bash
# Session 32, call 4: the benchmark of record with the SM clock of every case (4ad9873: the
# decode and combine SASS of 5aca4ff, checked in full in session 31), then the same benchmark
# with a 25 ms warm-up a case (the clocks a sustained load settles at).
set -u
export MLADEC_CUTLASS_DIR=$PWD/.deps/cutlass-pip/cutlass_library/source/include
cmake -S . -B build-n -G Ninja -DCMAKE_BUILD_TYPE=Release -DMLADEC_BUILD_TESTS=OFF \
  -DMLADEC_CUTLASS_DIR=$MLADEC_CUTLASS_DIR >/dev/null &&
  timeout 150 cmake --build build-n -j16 --target mladec_bench >$OUT/build-n.log 2>&1 ||
  { tail -20 $OUT/build-n.log; exit 1; }
nvidia-smi --query-gpu=name,clocks.sm,temperature.gpu --format=csv,noheader
export MLADEC_COMMIT=${MLADEC_COMMIT:-8e551c2}  # the device copy's .git is not this tree's (it read edd4414)
timeout 280 build-n/bench/mladec_bench --json $OUT/bench.json --markdown $OUT/bench.md > $OUT/bench.log 2>&1
echo "default rc $?"
timeout 280 build-n/bench/mladec_bench --warmup-ms 25 --json $OUT/bench-w25.json \
  --markdown $OUT/bench-w25.md > $OUT/bench-w25.log 2>&1
echo "warm-up 25 ms rc $?"
python3 - $OUT/bench.json $OUT/bench-w25.json <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
print("gemm: %.0f TFLOPS at %s MHz | w25: %.0f at %s MHz" % (a["ceilings"]["gemm_bf16_tflops"],
      a["ceilings"]["gemm_sm_mhz"], b["ceilings"]["gemm_bf16_tflops"], b["ceilings"]["gemm_sm_mhz"]))
bw = {(c["group"], c["batch"], c["seqlen"], c["q_len"], c["heads"], c["page_size"], c["varlen"],
       c["kv_dtype"], c["mode"]): c for c in b["cases"]}
for c in a["cases"]:
    if c["group"] not in ("large", "fp8") or c["varlen"]: continue
    k = (c["group"], c["batch"], c["seqlen"], c["q_len"], c["heads"], c["page_size"], c["varlen"],
         c["kv_dtype"], c["mode"])
    w = bw.get(k)
    print("%-5s %3dx%-5d s_q%d h%-3d %-13s %7.1f us %4.0f MHz | w25 %7.1f us %4.0f MHz" % (
        c["group"], c["batch"], c["seqlen"], c["q_len"], c["heads"], c["kv_dtype"], c["us"],
        c["sm_mhz"], w["us"] if w else 0, w["sm_mhz"] if w else 0))
PY
