#!/usr/bin/env bash
# Session 34, call 1: tail stealing's first GPU run. Build, the skewed-plan
# test and the stealing matrix, memcheck of the skewed test, then the
# memory-bound large cells with and without --tail-stealing.
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-$PWD/gpu-out}
BUILD_TARGETS="mladec_bench decode_matrix_gpu_test tail_stealing_gpu_test" \
  scripts/gpu-check.sh smoke > "$OUT/check.log" 2>&1
tail -5 "$OUT/check.log"
t=build-gpu/tests/gpu
timeout 120 $t/tail_stealing_gpu_test > "$OUT/skew.log" 2>&1; echo "skew rc=$?"
grep -E "decode [01]|Failure|FAILED|PASSED|error" "$OUT/skew.log" | head -20
timeout 200 $t/decode_matrix_gpu_test --gtest_filter='*TailStealing*' > "$OUT/matrix.log" 2>&1
echo "matrix rc=$?"; grep -E "cases, worst|FAILED|PASSED" "$OUT/matrix.log" | head
grep -B2 -A3 "Failure" "$OUT/matrix.log" | head -30
timeout 150 compute-sanitizer --tool memcheck --print-limit 20 $t/tail_stealing_gpu_test \
  > "$OUT/memcheck.log" 2>&1; echo "memcheck rc=$?"; grep -E "ERROR SUMMARY|PASSED|FAILED" "$OUT/memcheck.log"
b=build-gpu/bench/mladec_bench
for a in "" "--tail-stealing"; do
  for h in "h_q=16 " "h_q=32 "; do
    MLADEC_COMMIT=${MLADEC_COMMIT:-unknown} timeout 150 $b --filter large --only "$h" --no-ceilings $a \
      --json "$OUT/bench${a:+-steal}-${h//[= ]/}.json" --markdown "$OUT/bench${a:+-steal}-${h//[= ]/}.md" \
      > "$OUT/bench${a:+-steal}-${h//[= ]/}.log" 2>&1; echo "bench $a $h rc=$?"
  done
done
python3 - "$OUT" <<'PY'
import json,sys,glob,os
out=sys.argv[1]; rows={}
for f in sorted(glob.glob(out+'/bench*.json')):
    steal='steal' in os.path.basename(f)
    for c in json.load(open(f))['cases']:
        key='%dx%d s_q=%d h_q=%d %s'%(c['batch'],c['seqlen'],c['q_len'],c['heads'],'varlen' if c['varlen'] else 'fixed')
        rows.setdefault(key,{})['steal' if steal else 'base']=(c['us'],c.get('start_mhz'),c.get('flashmla_us'))
print('%-52s %8s %8s %7s %8s'%('case','base us','steal us','ratio','flashmla'))
for k,v in rows.items():
    b=v.get('base',(0,0,0)); s=v.get('steal',(0,0,0))
    print('%-52s %8.1f %8.1f %7.3f %8.1f'%(k[:52],b[0],s[0],(s[0]/b[0] if b[0] else 0),b[2] or 0))
PY
