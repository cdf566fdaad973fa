#!/usr/bin/env bash
# Session 32, call 2: call 1's timelines showed workers 0 and 1 (SMs 125/126) starting their first
# piece 32-41 us after their tile partners and ending 58-75 us after them, the step's whole tail.
# Bring back the raw timelines (tar) to see whether they start late (dispatch) or wait late, and
# retry call 1's Nsight DRAM read with its errors shown.
set -u
export MLADEC_CUTLASS_DIR=$PWD/.deps/cutlass-pip/cutlass_library/source/include
cfg() { cmake -S . -B "$1" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMLADEC_BUILD_TESTS=OFF \
          -DMLADEC_CUTLASS_DIR=$MLADEC_CUTLASS_DIR "${@:2}" >/dev/null; }
cfg build-tl -DMLADEC_BLOCK_TRACE=ON && timeout 200 cmake --build build-tl -j16 --target mladec_cli \
  >$OUT/build-tl.log 2>&1 || { tail -20 $OUT/build-tl.log; exit 1; }
mkdir -p tl
run_tl() {  # name batch heads seqlen [more run flags]
  MLADEC_STEP_TIMELINE=50 timeout 120 build-tl/tools/mladec run --batch $2 --heads $3 \
    --seqlen $4 --dtype bf16 --backend gpu --repeats 5 "${@:5}" 2> tl/$1.txt | tail -1
  python3 scripts/step-timeline-summary.py tl/$1.txt | grep -E "^step:|spans|histogram|tile pairs|furthest"
}
for r in a b c; do run_tl h128-8192-$r 128 128 8192; done
run_tl h128-4096 128 128 4096
run_tl h16-8192 128 16 8192
tar czf $OUT/timelines.tgz tl
cfg build-n && timeout 150 cmake --build build-n -j16 --target mladec_bench >$OUT/build-n.log 2>&1 ||
  { tail -20 $OUT/build-n.log; exit 1; }
which ncu; ncu --version | tail -1
timeout 150 ncu --clock-control none -k regex:decode --launch-skip 20 --launch-count 2 \
  --metrics gpu__time_duration.sum,dram__bytes_read.sum,lts__t_sector_hit_rate.pct \
  build-n/bench/mladec_bench --no-ceilings --filter large \
  --only '128x8192 s_q=1 h_q=128 page=64 fixed' --json /dev/null --markdown /dev/null > $OUT/ncu.txt 2>&1
echo "ncu rc $?"; grep -E "gpu__time_duration|dram__bytes_read|lts__t_sector_hit_rate|ERR|rror" $OUT/ncu.txt | head; tail -5 $OUT/ncu.txt
