#!/usr/bin/env bash
# Session 34, call 5: tail stealing with at most one thief per piece (call 4's
# timelines: the thieves' cascade used the slot pool up early, and the ends
# spread as without stealing). Timelines of two fixed cells, then the bench
# cells with steal_min_blocks 4, 8, 16 against without.
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-$PWD/gpu-out}; mkdir -p "$OUT"
cmake -S . -B build-tl -G Ninja -DCMAKE_BUILD_TYPE=Release -DMLADEC_BLOCK_TRACE=ON \
  > "$OUT/cfg-tl.log" 2>&1 && timeout 300 cmake --build build-tl -j16 --target mladec_cli \
  > "$OUT/build-tl.log" 2>&1 || { tail -20 "$OUT/build-tl.log"; exit 1; }
BUILD_TARGETS="mladec_bench tail_stealing_gpu_test" scripts/gpu-check.sh > "$OUT/check.log" 2>&1
timeout 120 build-gpu/tests/gpu/tail_stealing_gpu_test > "$OUT/skew.log" 2>&1; echo "skew rc=$?"
grep -E "decode 0|FAILED|PASSED" "$OUT/skew.log" | head -6
for shape in "--batch 128 --heads 16 --q-len 2 --seqlen 4096" "--batch 128 --heads 16 --q-len 1 --seqlen 8192"; do
  for steal in "" "--tail-stealing"; do
    f="$OUT/tl-$(echo "$shape $steal" | tr -d ' -' | cut -c1-60).txt"
    MLADEC_STEP_TIMELINE=50 timeout 120 build-tl/tools/mladec run $shape --dtype bf16 \
      --backend gpu --repeats 5 $steal 2> "$f" > "$f.out"
    echo "== $shape $steal: $(grep -E 'median|PASS|FAIL' "$f.out" | cut -c1-40 | tr '\n' ' ')"
    python3 scripts/step-timeline-summary.py "$f" | grep -E "decode \| (Waited|FirstCopy|Math0Done)|spans|histogram"
  done
done
b=build-gpu/bench/mladec_bench
run() {
  local name=$1; shift
  MLADEC_COMMIT=${MLADEC_COMMIT:-unknown} timeout 200 $b --filter large --no-ceilings --only "h_q=16 " "$@" \
    --json "$OUT/bench-$name.json" --markdown "$OUT/bench-$name.md" > "$OUT/bench-$name.log" 2>&1
  echo "bench $name rc=$?"
}
run base; run steal --tail-stealing; run min8x --tail-stealing --steal-min-blocks 8
run min16x --tail-stealing --steal-min-blocks 16
tar czf "$OUT/logs.tgz" -C "$OUT" $(cd "$OUT" && ls tl-* *.log *.md) 2>/dev/null; rm -f "$OUT"/tl-*
python3 - "$OUT" <<'PY'
import json,sys,glob,os
out=sys.argv[1]; rows={}
for f in sorted(glob.glob(out+'/bench-*.json')):
    kind=os.path.basename(f)[6:-5]
    for c in json.load(open(f))['cases']:
        key='%dx%d s_q=%d h_q=%d %s'%(c['batch'],c['seqlen'],c['q_len'],c['heads'],'varlen' if c['varlen'] else 'fixed')
        rows.setdefault(key,{})[kind]=(c['us'],c.get('flashmla_us') or 0)
kinds=['steal','min8x','min16x']
print('%-34s %7s '%('case','base')+' '.join('%7s'%k for k in kinds)+' %7s'%'flashmla')
for k,v in rows.items():
    b=v.get('base',(0,0))[0]
    print('%-34s %7.1f '%(k,b)+' '.join('%7.3f'%(v.get(x,(0,0))[0]/b if b else 0) for x in kinds)+' %7.1f'%v.get('base',(0,0))[1])
PY
