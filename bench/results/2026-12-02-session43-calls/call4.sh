#!/usr/bin/env bash
# Session 43 call 4 (~2 min): step timelines of the small-batch h_q 16
# cells around the 16x1024 outlier (v102: 18.8 µs with 3 blocks on the
# busiest worker, against 13.6 µs for 4x4096 with 2 and 19.3 µs for
# 32x1024 with 5; FlashMLA 16 µs): where do its extra ~3 µs go — the
# decode CTAs' chain or the combine?
#   run: OUT=$OUT bash bench/results/2026-12-02-session43-calls/call4.sh
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-$PWD/gpu-out}; mkdir -p "$OUT"
cmake -S . -B build-trace -G Ninja -DCMAKE_BUILD_TYPE=Release -DMLADEC_BUILD_TESTS=OFF \
  -DMLADEC_BLOCK_TRACE=ON > /tmp/configure-trace.log 2>&1 &&
  cmake --build build-trace -j16 --target mladec_cli > /tmp/build-trace.log 2>&1 ||
  cmake --build build-trace -j16 > /tmp/build-trace.log 2>&1
echo "build rc=$? $(ls build-trace/tools/mladec 2>&1)"
for shape in "4 4096" "16 1024" "32 1024" "16 4096"; do
  set -- $shape
  name=tl-$1x$2
  MLADEC_STEP_TIMELINE=50 build-trace/tools/mladec run --batch "$1" --seqlen "$2" --heads 16 \
    --backend gpu --repeats 1 > "$OUT/$name.out" 2> "$OUT/$name.txt"
  echo "== $name rc=$? $(grep -m1 -i 'us\|µs' "$OUT/$name.out" | cut -c1-120)"
  python3 scripts/step-timeline-summary.py "$OUT/$name.txt" > "$OUT/$name-summary.md" 2>&1
  head -45 "$OUT/$name-summary.md" | cut -c1-170
done
