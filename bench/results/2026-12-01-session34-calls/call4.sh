#!/usr/bin/env bash
# Session 34, call 4: where tail stealing's time goes. Step timelines (trace
# build) of memory-bound fixed cells with and without --tail-stealing: the
# decode CTAs' ends (Math0Done / Math1Done: first, median, last) and spans.
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-$PWD/gpu-out}; mkdir -p "$OUT"
cmake -S . -B build-tl -G Ninja -DCMAKE_BUILD_TYPE=Release -DMLADEC_BLOCK_TRACE=ON \
  > "$OUT/cfg-tl.log" 2>&1 && timeout 300 cmake --build build-tl -j16 --target mladec_cli \
  > "$OUT/build-tl.log" 2>&1 || { tail -20 "$OUT/build-tl.log"; exit 1; }
for shape in "--batch 128 --heads 16 --q-len 1 --seqlen 4096" "--batch 128 --heads 16 --q-len 2 --seqlen 4096" \
             "--batch 128 --heads 16 --q-len 1 --seqlen 8192"; do
  for steal in "" "--tail-stealing"; do
    for r in 1 2; do
      f="$OUT/tl-$(echo "$shape $steal" | tr -d ' -' | cut -c1-60)-$r.txt"
      MLADEC_STEP_TIMELINE=50 timeout 120 build-tl/tools/mladec run $shape --dtype bf16 \
        --backend gpu --repeats 5 $steal 2> "$f" > "$f.out"
      echo "== $shape $steal run $r: $(grep -E 'median|PASS|FAIL' "$f.out" | tr '\n' ' ')"
      python3 scripts/step-timeline-summary.py "$f" | grep -E "^step:|decode \| (Waited|FirstCopy|Math0Done|Math1Done)|spans|histogram"
    done
  done
done
tar czf "$OUT/timelines.tgz" -C "$OUT" $(cd "$OUT" && ls tl-*) 2>/dev/null; rm -f "$OUT"/tl-*
