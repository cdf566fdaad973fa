#!/usr/bin/env bash
# Prepared in session 31 for session 32's first device call (~4 min on a fresh machine): the
# 128-row swing (bench/NOTES.md v84). The bf16 cells of two 64-row tiles per request read ~10%
# slower in one run of three with unchanged code (128x8192 h_q 128: 511-538 us or 554-576).
# Hypothesis: a tile-major plan pairs workers v and v + W/2 on the same KV at the same time, the
# second reading it from L2; when the pair's SMs fall into different rate clusters (v84: 9-11%
# apart, changing from run to run) they drift apart past what L2 holds, and the trailing tile
# reads DRAM again.
#   (a) the three 128-row cells in 4 separate processes, concurrent tiles and --sequential-tiles
#       alternating (does the swing show between processes on one machine?);
#   (b) Nsight DRAM bytes and L2 hit rate of 128x8192 h_q 128, 3 processes (a slow run should
#       read more than the 1.21 GB of one pass);
#   (c) 3 step timelines of 128x8192 h_q 128 (trace build): the tile pairs' drift
#       (scripts/step-timeline-summary.py prints it) against the step's length.
set -u
export MLADEC_CUTLASS_DIR=$PWD/.deps/cutlass-pip/cutlass_library/source/include
nvidia-smi --query-gpu=name,clocks.sm,clocks.max.sm,temperature.gpu --format=csv,noheader
cfg() { cmake -S . -B "$1" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMLADEC_BUILD_TESTS=OFF \
          -DMLADEC_CUTLASS_DIR=$MLADEC_CUTLASS_DIR "${@:2}" >/dev/null; }
cfg build-n && timeout 150 cmake --build build-n -j16 --target mladec_bench >$OUT/build-n.log 2>&1 ||
  { tail -20 $OUT/build-n.log; exit 1; }
show() {
  python3 - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print("  " + "  ".join(f"{c['seqlen']}/{c['q_len']}/{c['heads']}: {c['us']:.0f}" for c in d['cases']))
PY
}
for r in 1 2 3 4; do
  for mode in concurrent sequential; do
    flags=(); [ $mode = sequential ] && flags=(--sequential-tiles)
    for cell in '128x4096 s_q=1 h_q=128 page=64 fixed' '128x8192 s_q=1 h_q=128 page=64 fixed' \
                '128x8192 s_q=2 h_q=64 page=64 fixed'; do
      build-n/bench/mladec_bench --no-ceilings --filter large --only "$cell" "${flags[@]}" \
        --json $OUT/r$r-$mode-$(echo $cell | cut -d' ' -f1,2,3 | tr ' =' '__').json \
        --markdown /dev/null >/dev/null 2>&1
    done
    echo "round $r $mode:"; for f in $OUT/r$r-$mode-*.json; do show $f; done
  done
done
for r in 1 2 3; do
  echo "ncu $r:"
  timeout 120 ncu --clock-control none -k regex:decode --launch-skip 20 --launch-count 2 \
    --metrics gpu__time_duration.sum,dram__bytes_read.sum,lts__t_sector_hit_rate.pct \
    build-n/bench/mladec_bench --no-ceilings --filter large \
    --only '128x8192 s_q=1 h_q=128 page=64 fixed' --json /dev/null --markdown /dev/null 2>&1 |
    grep -E "gpu__time_duration|dram__bytes_read|lts__t_sector_hit_rate" | sed 's/  */ /g'
done
cfg build-tl -DMLADEC_BLOCK_TRACE=ON && timeout 200 cmake --build build-tl -j16 --target mladec_cli \
  >$OUT/build-tl.log 2>&1 || { tail -20 $OUT/build-tl.log; exit 1; }
for r in a b c; do
  MLADEC_STEP_TIMELINE=50 timeout 120 build-tl/tools/mladec run --batch 128 --heads 128 \
    --seqlen 8192 --dtype bf16 --backend gpu --repeats 5 2> $OUT/tl-$r.txt | tail -1
  python3 scripts/step-timeline-summary.py $OUT/tl-$r.txt | grep -E "^step:|spans|histogram|tile pairs|furthest"
done
