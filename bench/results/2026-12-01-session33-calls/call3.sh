#!/usr/bin/env bash
# Session 33, call 3: the benchmark of record under the protocol of v88 as first written (the bench defaults then:
# settle the clock before each case, at most 1 s; each graph timing at least 1 ms of
# back-to-back steps; the default became 0.5 ms after this call), then the same run with one pass per timing (--min-timing-ms 0, v87's
# protocol) for the same-call difference.
set -u
export MLADEC_CUTLASS_DIR=$PWD/.deps/cutlass-pip/cutlass_library/source/include
cmake -S . -B build-n -G Ninja -DCMAKE_BUILD_TYPE=Release -DMLADEC_BUILD_TESTS=OFF \
  -DMLADEC_CUTLASS_DIR=$MLADEC_CUTLASS_DIR >/dev/null &&
  timeout 200 cmake --build build-n -j16 --target mladec_bench >$OUT/build-n.log 2>&1 ||
  { tail -20 $OUT/build-n.log; exit 1; }
export MLADEC_COMMIT=${MLADEC_COMMIT:-unknown}
B=build-n/bench/mladec_bench
timeout 280 $B --json $OUT/bench.json --markdown $OUT/bench.md > $OUT/bench.log 2>&1
echo "v88 protocol rc $?"
timeout 250 $B --min-timing-ms 0 --json $OUT/bench-one-pass.json --markdown $OUT/bench-one-pass.md \
  > $OUT/bench-one-pass.log 2>&1
echo "one pass rc $?"
python3 - $OUT/bench.json $OUT/bench-one-pass.json <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
print("gemm: %.0f TFLOPS at %s MHz | one pass: %.0f at %s MHz" % (a["ceilings"]["gemm_bf16_tflops"],
      a["ceilings"]["gemm_sm_mhz"], b["ceilings"]["gemm_bf16_tflops"], b["ceilings"]["gemm_sm_mhz"]))
key = lambda c: (c["group"], c["batch"], c["seqlen"], c["q_len"], c["heads"], c["page_size"],
                 c["varlen"], c["kv_dtype"], c["mode"], c.get("fp8_compute"), c.get("kv_in_l2"))
bw = {key(c): c for c in b["cases"]}
for c in a["cases"]:
    w = bw.get(key(c))
    if not w: continue
    print("%-11s %3dx%-5d s_q%d h%-3d p%-2d %-3s %-9s %-5s %2d steps %8.1f us %4.0f->%4.0f | one pass %8.1f %4.0f->%4.0f %+5.1f%%" % (
        c["group"][:11], c["batch"], c["seqlen"], c["q_len"], c["heads"], c["page_size"],
        "var" if c["varlen"] else "fix", c["kv_dtype"][:9], c["mode"][:5], c["steps_per_timing"],
        c["us"], c["start_mhz"], c["sm_mhz"], w["us"], w["start_mhz"], w["sm_mhz"],
        100 * (c["us"] / w["us"] - 1)))
PY
