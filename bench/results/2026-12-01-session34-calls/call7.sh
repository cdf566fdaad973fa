#!/usr/bin/env bash
# Session 34, call 7: where the mid-size h_q 128 steps and a large varlen
# step spend their time between decode and combine (main's kernels; trace
# build, step timelines of plan + decode + combine).
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-$PWD/gpu-out}; mkdir -p "$OUT"
cmake -S . -B build-tl -G Ninja -DCMAKE_BUILD_TYPE=Release -DMLADEC_BLOCK_TRACE=ON \
  > "$OUT/cfg-tl.log" 2>&1 && timeout 300 cmake --build build-tl -j16 --target mladec_cli \
  > "$OUT/build-tl.log" 2>&1 || { tail -20 "$OUT/build-tl.log"; exit 1; }
for shape in "--batch 16 --seqlen 4096 --heads 128" "--batch 32 --seqlen 4096 --heads 128" \
             "--batch 4 --seqlen 32768 --heads 128" "--batch 128 --varlen 4096 --heads 128" \
             "--batch 128 --varlen 8192 --heads 64"; do
  f="$OUT/tl-$(echo "$shape" | tr -d ' -').txt"
  MLADEC_STEP_TIMELINE=50 timeout 120 build-tl/tools/mladec run $shape --dtype bf16 \
    --backend gpu --repeats 5 2> "$f" > "$f.out"
  echo "== $shape: $(grep -E 'median' "$f.out" | cut -c1-30) $(grep -cE PASS "$f.out") pass"
  python3 scripts/step-timeline-summary.py "$f" | grep -E "^step:|\| (decode|combine) \| (Start|Waited|FirstCopy|Math0Done|Math1Done|End) "
done
tar czf "$OUT/timelines.tgz" -C "$OUT" $(cd "$OUT" && ls tl-*) 2>/dev/null; rm -f "$OUT"/tl-*
