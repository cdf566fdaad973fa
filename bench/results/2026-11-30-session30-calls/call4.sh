#!/usr/bin/env bash
# Session 30 call 4: (a) same-call A/B of the page-size cells, main before (998d26f) and after
# (afec12a) rows-rescale-skip, 3 rounds: v83's full benchmark read page 16 h_q 128 at 335.6 us
# against v82's 296.6; (b) the read ceilings with copies grouped on one barrier (this tree).
set -u
export MLADEC_CUTLASS_DIR=$PWD/.deps/cutlass-pip/cutlass_library/source/include
nvidia-smi --query-gpu=name,clocks.sm,clocks.max.sm,temperature.gpu --format=csv,noheader
base=$OUT
OUT=$base/a AB_TREES='998d26f afec12a' BENCH_ARGS='--filter page_size' AB_ONLY='page=' \
  timeout 210 scripts/gpu-ab.sh 3 2>&1 | tail -7
cmake -S . -B build-ceil -G Ninja -DCMAKE_BUILD_TYPE=Release -DMLADEC_BUILD_TESTS=OFF \
  -DMLADEC_BUILD_TOOLS=OFF -DMLADEC_CUTLASS_DIR=$MLADEC_CUTLASS_DIR >/dev/null &&
  timeout 100 cmake --build build-ceil --target mladec_bench -j16 >$base/ceil-build.log 2>&1 &&
  MLADEC_COMMIT=b4af68d timeout 100 build-ceil/bench/mladec_bench \
    --filter page_size --only 'page=16 fixed' --json $base/ceil.json --markdown $base/ceil.md 2>&1 | tail -40
