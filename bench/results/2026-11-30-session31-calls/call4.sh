#!/usr/bin/env bash
# Session 31 call 4: where the e4m3 16-row fixed part goes. The step timeline (call 1) puts the
# e4m3 128x4096 h_q 16 decode at ~82 us from its wait to its last result, the benchmark at 91.2
# (v83; bf16: ~155 against 159.7). Nsight's kernel durations (decode, combine) of the benchmark's
# own launches against its per-step time, for e4m3 and bf16 at 128x4096 and 128x8192 h_q 16.
set -u
export MLADEC_CUTLASS_DIR=$PWD/.deps/cutlass-pip/cutlass_library/source/include
nvidia-smi --query-gpu=name,clocks.sm,clocks.max.sm,temperature.gpu --format=csv,noheader
cmake -S . -B build-n -G Ninja -DCMAKE_BUILD_TYPE=Release -DMLADEC_BUILD_TESTS=OFF \
  -DMLADEC_CUTLASS_DIR=$MLADEC_CUTLASS_DIR >/dev/null &&
  timeout 150 cmake --build build-n -j16 --target mladec_bench >$OUT/build.log 2>&1 ||
  { tail -20 $OUT/build.log; exit 1; }
for spec in 'fp8|128x4096 s_q=1 h_q=16 page=64 fixed fp8_e4m3' 'large|128x4096 s_q=1 h_q=16 page=64 fixed bf16' \
            'fp8|128x8192 s_q=1 h_q=16 page=64 fixed fp8_e4m3' 'large|128x8192 s_q=1 h_q=16 page=64 fixed bf16'; do
  filter=${spec%%|*} case=${spec#*|}
  tag=$(echo "$case" | tr -c 'a-zA-Z0-9' '_')
  build-n/bench/mladec_bench --no-ceilings --filter $filter --only "$case" --json $OUT/b_$tag.json \
    --markdown /dev/null >/dev/null 2>&1
  echo "== $case: bench $(python3 -c "import json;d=json.load(open('$OUT/b_$tag.json'));print([round(c['us'],1) for c in d['cases']])" 2>/dev/null)"
  timeout 120 ncu --clock-control none -k 'regex:decode|combine' --launch-skip 20 --launch-count 8 \
    --metrics gpu__time_duration.sum,launch__grid_size,sm__cycles_active.avg \
    build-n/bench/mladec_bench --no-ceilings --filter $filter --only "$case" --json /dev/null \
    --markdown /dev/null 2>&1 | grep -E "decode_kernel|combine|gpu__time_duration" | \
    sed -E 's/^ *void mladec::detail::[^:]*::([a-z_]+)[<(].*/\1/; s/ +/ /g' | paste - - | head -8
done
