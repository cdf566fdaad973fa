#!/usr/bin/env bash
# Prepared in session 42 for the next session (~3 min; bench/NOTES.md v102,
# "Next device plan (after session 42)", item 2): the 128-row bf16 cells'
# two modes (one per benchmark process and case, NOTES v99) — do they
# follow the buffers' physical placement? Two processes, each timing the
# bimodal cells at six placements in a row (`mladec_bench --placements 6`:
# the r-th allocated while r x 160 MiB of spacer is held). Modes that
# change between placements within a process: placement; modes fixed per
# process whatever the placement: something else of the process (the
# plan's worker-to-SM mapping, the context).
#   run: OUT=$OUT bash bench/results/2026-12-02-session42-calls/prepared-session43-call2.sh
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-$PWD/gpu-out}; mkdir -p "$OUT"
if [ ! -x build-gpu/bench/mladec_bench ]; then
  cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DMLADEC_BUILD_TESTS=OFF \
    > /tmp/configure-gpu.log 2>&1 &&
    cmake --build build-gpu -j16 --target mladec_bench > /tmp/build-gpu.log 2>&1
  echo "build rc=$?"
fi
for process in 1 2; do
  for shape in "128x8192 s_q=1 h_q=128 page=64" "64x16384 s_q=1 h_q=128 page=64"; do
    name=p${process}-$(echo "$shape" | cut -d' ' -f1)
    build-gpu/bench/mladec_bench --no-ceilings --filter large --only "large $shape" \
      --placements 6 --json "$OUT/$name.json" --markdown "$OUT/$name.md" > "$OUT/$name.log" 2>&1
    echo "process $process $shape rc=$?"
  done
done
python3 - "$OUT" <<'PY'
import glob, json, sys
for path in sorted(glob.glob(sys.argv[1] + "/p*.json")):
    cases = json.load(open(path))["cases"]
    for varlen in (False, True):
        times = [f"{c['us']:.0f}" for c in cases if c["varlen"] == varlen]
        print(path.rsplit("/", 1)[1], "varlen" if varlen else "fixed ", " / ".join(times))
PY
