#!/usr/bin/env bash
# Session 33, call 4 (and 5, after the 100 ms idle floor): the benchmark of record v88 under the bench's defaults (the clock settled
# before each case, at most 1 s; each graph timing at least 0.5 ms of back-to-back steps).
set -u
export MLADEC_CUTLASS_DIR=$PWD/.deps/cutlass-pip/cutlass_library/source/include
cmake -S . -B build-n -G Ninja -DCMAKE_BUILD_TYPE=Release -DMLADEC_BUILD_TESTS=OFF \
  -DMLADEC_CUTLASS_DIR=$MLADEC_CUTLASS_DIR >/dev/null &&
  timeout 200 cmake --build build-n -j16 --target mladec_bench >$OUT/build-n.log 2>&1 ||
  { tail -20 $OUT/build-n.log; exit 1; }
export MLADEC_COMMIT=${MLADEC_COMMIT:-unknown}
nvidia-smi --query-gpu=name,clocks.sm,temperature.gpu,power.draw --format=csv,noheader
timeout 280 build-n/bench/mladec_bench --json $OUT/bench.json --markdown $OUT/bench.md > $OUT/bench.log 2>&1
echo "v88 rc $?"
grep -E "^ceilings|e4m3|page=1 |page=16 " $OUT/bench.log | grep -v "kv-in-l2\|fp8-compute" | cut -c1-150 | head -40
