#!/usr/bin/env bash
# Session 34, call 6: the combine of few-split units inside the decode
# (KernelConfig::fused_combine_max_splits, default 4). Build, smoke, every
# GPU test (the matrix runs it in every form), then the large and
# small-batch groups with it off (--fused-combine 0) and on, same call.
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-$PWD/gpu-out}; mkdir -p "$OUT"
scripts/gpu-check.sh smoke tests > "$OUT/check.txt" 2>&1
sed -n '/==== summary/,$p' "$OUT/check.txt"
b=build-gpu/bench/mladec_bench
run() {
  local name=$1; shift
  MLADEC_COMMIT=${MLADEC_COMMIT:-unknown} timeout 250 $b --no-ceilings "$@" \
    --json "$OUT/bench-$name.json" --markdown "$OUT/bench-$name.md" > "$OUT/bench-$name.log" 2>&1
  echo "bench $name rc=$?"
}
for g in large small_batch; do
  run off-$g --filter $g --fused-combine 0
  run on-$g --filter $g
done
python3 - "$OUT" <<'PY'
import json,sys,glob,os
out=sys.argv[1]; rows={}
for f in sorted(glob.glob(out+'/bench-*.json')):
    kind=os.path.basename(f).split('-')[1]
    for c in json.load(open(f))['cases']:
        key='%dx%d s_q=%d h_q=%d %s'%(c['batch'],c['seqlen'],c['q_len'],c['heads'],'varlen' if c['varlen'] else 'fixed')
        rows.setdefault(key,{})[kind]=(c['us'],c.get('flashmla_us') or 0)
print('%-36s %8s %8s %7s %8s %6s'%('case','off','on','on/off','flashmla','fl/on'))
for k,v in rows.items():
    a=v.get('off',(0,0))[0]; b=v.get('on',(0,0))[0]; f=v.get('off',(0,0))[1]
    print('%-36s %8.1f %8.1f %7.3f %8.1f %6.3f'%(k,a,b,b/a if a else 0,f,f/b if b else 0))
PY
(cd "$OUT" && tar czf bench-logs.tgz bench-*.log bench-*.md check.txt && rm -f bench-*.log bench-*.md check.txt)
