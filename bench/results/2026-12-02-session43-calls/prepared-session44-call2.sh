#!/usr/bin/env bash
# Prepared in session 43 for the next session's second device call (~2 min;
# bench/NOTES.md v103, "Next device plan (after session 43)", item 3): step
# timelines of the small-batch h_q 128 cells that trail FlashMLA (v103:
# 32x4096 0.85x, 82 µs against 70; 4x32768 0.91x; 16x4096 0.91x; 4x1024
# 0.91x), as session 43's call 4 did for h_q 16: decode chain, combine
# start and end against the decode's last result.
#   run: OUT=$OUT bash bench/results/2026-12-02-session43-calls/prepared-session44-call2.sh
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-$PWD/gpu-out}; mkdir -p "$OUT"
cmake -S . -B build-trace -G Ninja -DCMAKE_BUILD_TYPE=Release -DMLADEC_BUILD_TESTS=OFF \
  -DMLADEC_BLOCK_TRACE=ON > /tmp/configure-trace.log 2>&1 &&
  cmake --build build-trace -j16 --target mladec_cli > /tmp/build-trace.log 2>&1
echo "trace build rc=$?"
for shape in "32 4096" "4 32768" "16 4096" "4 1024"; do
  set -- $shape
  name=tl-h128-$1x$2
  MLADEC_STEP_TIMELINE=50 build-trace/tools/mladec run --batch "$1" --seqlen "$2" --heads 128 \
    --backend gpu --repeats 1 > "$OUT/$name.out" 2> "$OUT/$name.txt"
  echo "== $name rc=$?"
  python3 scripts/step-timeline-summary.py "$OUT/$name.txt" > "$OUT/$name-summary.md" 2>&1
  head -32 "$OUT/$name-summary.md" | cut -c1-170
  rm -f "$OUT/$name.txt"  # the run tool returns at most 8 files
done
