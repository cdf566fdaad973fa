#!/usr/bin/env bash
# Session 34, call 8: the combine reads its plan entries before its
# dependency wait (bench/candidates/combine-plan-before-wait.patch, tree
# `early`) against main (HEAD). gpu-ab: the matrix every 4th case, the
# screens and racecheck every 24th case on `early`, then the small-batch
# group, 2 rounds; then checked mode, graph replay and batch invariance on
# `early`, and the large varlen cells on both trees.
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-$PWD/gpu-out}; mkdir -p "$OUT"
AB_TREES='HEAD early' AB_CHECK=4 AB_CHECK_TREES=early AB_RACECHECK=24 \
  BENCH_ARGS='--filter small_batch' scripts/gpu-ab.sh 2 > "$OUT/ab.txt" 2>&1
grep -E "^build|^check|full check" "$OUT/ab.txt"
cmake --build build-ab/early -j16 --target checked_mode_gpu_test graph_replay_gpu_test \
  batch_invariance_gpu_test > "$OUT/tests-build.txt" 2>&1; echo "tests build rc=$?"
for t in checked_mode_gpu_test graph_replay_gpu_test batch_invariance_gpu_test; do
  timeout 200 build-ab/early/tests/gpu/$t > "$OUT/$t.txt" 2>&1; echo "$t rc=$? $(grep -cE '^\[       OK' "$OUT/$t.txt") ok"
done
for tree in HEAD early; do
  timeout 150 build-ab/$tree/bench/mladec_bench --no-ceilings --filter large --only varlen \
    --json "$OUT/varlen-$tree.json" --markdown /dev/null > "$OUT/varlen-$tree.txt" 2>&1
  echo "varlen $tree rc=$?"
done
python3 - "$OUT" <<'PY'
import json,sys
out=sys.argv[1]
a={};b={}
for t,d in (('HEAD',a),('early',b)):
    for c in json.load(open(f'{out}/varlen-{t}.json'))['cases']:
        d['%dx%d s_q=%d h_q=%d'%(c['batch'],c['seqlen'],c['q_len'],c['heads'])]=(c['us'],c.get('flashmla_us') or 0)
print('| large varlen | HEAD | early | ratio | FlashMLA |'); print('|---|---|---|---|---|')
for k in a: print('| %s | %.1f | %.1f | %.3f | %.0f |'%(k,a[k][0],b[k][0],b[k][0]/a[k][0],a[k][1]))
PY
sed -n '/after round 2/,$p' "$OUT/ab.txt"
(cd "$OUT" && tar czf call8-logs.tgz ./*.txt && rm -f ./*.txt)
