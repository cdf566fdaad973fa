#!/usr/bin/env bash
# Session 34, call 3: tail stealing with the merge loading at once and the first
# claim under the Q wait. The skewed test and the matrix again, then the
# memory-bound cells without, with (steal_min_blocks 4, 8, 16), and with
# stealing's claims but no thieves (--steal-min-blocks 1000000).
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-$PWD/gpu-out}; mkdir -p "$OUT"
BUILD_TARGETS="mladec_bench decode_matrix_gpu_test tail_stealing_gpu_test" \
  scripts/gpu-check.sh smoke > "$OUT/check.log" 2>&1
tail -4 "$OUT/check.log"
t=build-gpu/tests/gpu
timeout 120 $t/tail_stealing_gpu_test > "$OUT/skew.log" 2>&1; echo "skew rc=$?"
grep -E "decode 0|FAILED|PASSED" "$OUT/skew.log" | head -8
timeout 200 $t/decode_matrix_gpu_test --gtest_filter='*TailStealing*' > "$OUT/matrix.log" 2>&1
echo "matrix rc=$?"; grep -E "cases, worst|FAILED|PASSED" "$OUT/matrix.log" | head
b=build-gpu/bench/mladec_bench
run() {  # name, args...
  local name=$1; shift
  MLADEC_COMMIT=${MLADEC_COMMIT:-unknown} timeout 200 $b --filter large --no-ceilings "$@" \
    --json "$OUT/bench-$name.json" --markdown "$OUT/bench-$name.md" > "$OUT/bench-$name.log" 2>&1
  echo "bench $name rc=$?"
}
for h in 16 32; do
  run base$h --only "h_q=$h "
  run steal$h --only "h_q=$h " --tail-stealing
  run min8x$h --only "h_q=$h " --tail-stealing --steal-min-blocks 8
  run min16x$h --only "h_q=$h " --tail-stealing --steal-min-blocks 16
  run claims$h --only "h_q=$h " --tail-stealing --steal-min-blocks 1000000
done
tar czf "$OUT/logs.tgz" -C "$OUT" $(cd "$OUT" && ls *.log *.md) 2>/dev/null
python3 - "$OUT" <<'PY'
import json,sys,glob,os,re
out=sys.argv[1]; rows={}
for f in sorted(glob.glob(out+'/bench-*.json')):
    kind=re.sub(r'\d+$','',os.path.basename(f)[6:-5])
    for c in json.load(open(f))['cases']:
        if c['q_len']*c['heads']>32: continue
        key='%dx%d s_q=%d h_q=%d %s'%(c['batch'],c['seqlen'],c['q_len'],c['heads'],'varlen' if c['varlen'] else 'fixed')
        rows.setdefault(key,{})[kind]=(c['us'],c.get('flashmla_us') or 0)
kinds=['claims','steal','min8x','min16x']
print('%-34s %7s '%('case','base')+' '.join('%7s'%k for k in kinds)+' %7s'%'flashmla')
for k,v in rows.items():
    b=v.get('base',(0,0))[0]
    print('%-34s %7.1f '%(k,b)+' '.join('%7.3f'%(v.get(x,(0,0))[0]/b if b else 0) for x in kinds)+' %7.1f'%v.get('base',(0,0))[1])
PY
