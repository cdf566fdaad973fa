#!/usr/bin/env bash
# Session 32, call 5: sustained power and clock per cell. nvidia-smi's power.draw is a one-second
# average (call 3), so each cell runs for 3 s of warm-up (--warmup-ms 3000) while nvidia-smi samples
# every 100 ms; the samples of the last 1.5 s before the timing are the cell's sustained power
# and clock. Energy per step = power x time per step at that clock.
set -u
export MLADEC_CUTLASS_DIR=$PWD/.deps/cutlass-pip/cutlass_library/source/include
cmake -S . -B build-n -G Ninja -DCMAKE_BUILD_TYPE=Release -DMLADEC_BUILD_TESTS=OFF \
  -DMLADEC_CUTLASS_DIR=$MLADEC_CUTLASS_DIR >/dev/null &&
  timeout 150 cmake --build build-n -j16 --target mladec_bench >$OUT/build-n.log 2>&1 ||
  { tail -20 $OUT/build-n.log; exit 1; }
fields=clocks.sm,power.draw,power.draw.instant
nvidia-smi --query-gpu=$fields --format=csv,noheader >/dev/null 2>&1 || fields=clocks.sm,power.draw,power.draw
nvidia-smi --query-gpu=name,power.limit,temperature.gpu --format=csv,noheader
sustained() {  # label, then the bench arguments
  local label=$1; shift
  nvidia-smi --query-gpu=timestamp,$fields --format=csv,noheader,nounits -lms 100 \
    > $OUT/smi-$label.csv 2>/dev/null & local smi=$!
  local start=$(date +%s.%N)
  build-n/bench/mladec_bench --no-ceilings --warmup-ms 3000 "$@" --json $OUT/b-$label.json \
    --markdown /dev/null >/dev/null 2>&1
  kill $smi; wait $smi 2>/dev/null
  python3 - $OUT/smi-$label.csv $OUT/b-$label.json $label <<'PY'
import json, sys, datetime
rows = []
for line in open(sys.argv[1]):
    p = [x.strip() for x in line.split(",")]
    try:
        t = datetime.datetime.strptime(p[0], "%Y/%m/%d %H:%M:%S.%f")
        rows.append((t, float(p[1]), float(p[2]), float(p[3])))
    except (ValueError, IndexError):
        pass
loaded = [r for r in rows if r[1] > 1000]
d = json.load(open(sys.argv[2]))
c = d["cases"][0]
if len(loaded) < 8:
    print(f"{sys.argv[3]:>22}: {c['us']:.1f} us, only {len(loaded)} loaded samples"); sys.exit()
end = loaded[-1][0]
tail = [r for r in loaded if (end - r[0]).total_seconds() <= 1.5]
mhz = sorted(r[1] for r in tail); avg = sorted(r[2] for r in tail); inst = sorted(r[3] for r in tail)
med = lambda v: v[len(v) // 2]
w = med(avg)
print(f"{sys.argv[3]:>22}: {c['us']:7.1f} us at {c['sm_mhz']:.0f} MHz (probe) | last 1.5 s: "
      f"SM {mhz[0]:.0f}-{mhz[-1]:.0f} MHz, power avg {w:.0f} W, instant {med(inst):.0f} W "
      f"(max {inst[-1]:.0f}) | {w * c['us'] * 1e-3:.1f} mJ/step, "
      f"{c['tflops'] * 1e12 / w * 1e-12:.2f} TFLOP/J" )
PY
}
sustained bf16-h128-8192 --filter large --only '128x8192 s_q=1 h_q=128 page=64 fixed'
sustained bf16-s2h128-8192 --filter large --only '128x8192 s_q=2 h_q=128 page=64 fixed'
sustained bf16-h16-8192 --filter large --only '128x8192 s_q=1 h_q=16 page=64 fixed'
sustained e4m3-h128-8192 --filter fp8 --only '128x8192 s_q=1 h_q=128 page=64 fixed fp8_e4m3'
sustained e4m3-h16-8192 --filter fp8 --only '128x8192 s_q=1 h_q=16 page=64 fixed fp8_e4m3'
sustained fp8c-h128-8192 --filter fp8_compute --only '128x8192 s_q=1 h_q=128 page=64 fixed'
