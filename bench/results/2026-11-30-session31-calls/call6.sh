#!/usr/bin/env bash
# Session 31 call 6: call 5 again with the time-based warm-up (bench/event_timer.h: at least 25 ms
# of untimed runs per case, as Triton do_bench; was three runs, ~0.5 ms).
set -u
export MLADEC_CUTLASS_DIR=$PWD/.deps/cutlass-pip/cutlass_library/source/include
nvidia-smi --query-gpu=name,clocks.sm,clocks.max.sm,temperature.gpu,power.draw --format=csv,noheader
{ cmake -S . -B build-n -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DMLADEC_BUILD_TESTS=OFF -DMLADEC_CUTLASS_DIR=$MLADEC_CUTLASS_DIR >/dev/null &&
  timeout 150 cmake --build build-n -j16 --target mladec_bench >$OUT/build.log 2>&1; }
show() {
  python3 - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for c in d['cases']:
    if c['batch'] == 128 and c['heads'] == 16 and c['q_len'] == 1 and c['page_size'] == 64 \
            and not c['varlen'] and not c.get('fp8_compute') and c['group'] in ('fp8', 'large'):
        print(f"  {c['group']} {c['seqlen']} {c['kv_dtype']}: {c['us']:.1f}")
PY
}
for r in 1 2; do
  build-n/bench/mladec_bench --no-ceilings --filter fp8 --only '128x4096 s_q=1 h_q=16 page=64 fixed fp8_e4m3' \
    --json $OUT/alone$r.json --markdown /dev/null >/dev/null 2>&1; echo "alone $r:"; show $OUT/alone$r.json
done
timeout 200 build-n/bench/mladec_bench --no-ceilings --filter fp8 --json $OUT/fp8.json --markdown $OUT/fp8.md \
  >/dev/null 2>&1; echo "fp8 group:"; show $OUT/fp8.json
nvidia-smi --query-gpu=clocks.sm,temperature.gpu,power.draw --format=csv,noheader
timeout 330 build-n/bench/mladec_bench --no-ceilings --json $OUT/all.json --markdown $OUT/all.md \
  >/dev/null 2>&1; echo "whole benchmark (rc $?):"; show $OUT/all.json
nvidia-smi --query-gpu=clocks.sm,temperature.gpu,power.draw --format=csv,noheader
