#!/usr/bin/env bash
# Session 30 call 5: the read ceilings twice, with the token-group boxes (this tree).
set -u
export MLADEC_CUTLASS_DIR=$PWD/.deps/cutlass-pip/cutlass_library/source/include
nvidia-smi --query-gpu=name,clocks.sm,clocks.max.sm,temperature.gpu --format=csv,noheader
cmake -S . -B build-ceil -G Ninja -DCMAKE_BUILD_TYPE=Release -DMLADEC_BUILD_TESTS=OFF \
  -DMLADEC_BUILD_TOOLS=OFF -DMLADEC_CUTLASS_DIR=$MLADEC_CUTLASS_DIR >/dev/null &&
  timeout 150 cmake --build build-ceil --target mladec_bench -j16 >$OUT/ceil-build.log 2>&1 || { tail -20 $OUT/ceil-build.log; exit 1; }
for r in 1; do
  MLADEC_COMMIT=6b04622 timeout 80 build-ceil/bench/mladec_bench \
    --filter page_size --only 'h_q=16 page=16 fixed' --json $OUT/ceil$r.json --markdown $OUT/ceil$r.md 2>&1 | grep -v '^128x'
done
