#!/usr/bin/env bash
# Session 33, call 2: what one graph launch from an idle GPU adds to a timing of one step. The
# large cells rotate one KV copy (>= 512 MB), so each of their timings is one decode step:
# events around a single graph launch. DESIGN §8 times many back-to-back calls. Time the large
# and fp8 groups with 1, 2, 4 and 8 steps per timing (--steps-per-timing), each in its own
# process, under the settled protocol (bench default since e68b9db's successor). Then the
# clock's recovery after 3 s of sustained load (call 1's log of it did not come back).
set -u
export MLADEC_CUTLASS_DIR=$PWD/.deps/cutlass-pip/cutlass_library/source/include
cmake -S . -B build-n -G Ninja -DCMAKE_BUILD_TYPE=Release -DMLADEC_BUILD_TESTS=OFF \
  -DMLADEC_CUTLASS_DIR=$MLADEC_CUTLASS_DIR >/dev/null &&
  timeout 200 cmake --build build-n -j16 --target mladec_bench >$OUT/build-n.log 2>&1 ||
  { tail -20 $OUT/build-n.log; exit 1; }
export MLADEC_COMMIT=${MLADEC_COMMIT:-unknown}
B=build-n/bench/mladec_bench
mkdir -p $OUT/logs
for n in 1 2 4 8; do
  for g in large fp8; do
    timeout 150 $B --no-ceilings --filter $g --steps-per-timing $n --json $OUT/logs/$g-n$n.json \
      --markdown /dev/null > $OUT/logs/$g-n$n.log 2>&1 || echo "$g n=$n rc $?"
  done
done
timeout 100 $B --no-ceilings --filter large --only 'h_q=128 page=64 fixed' --warmup-ms 3000 \
  --settle-ms 5000 --json $OUT/logs/recovery.json --markdown /dev/null > $OUT/logs/recovery.log 2>&1
echo "recovery rc $?"
tar czf $OUT/logs.tgz -C $OUT logs
grep -o 'h_q=128.*' $OUT/logs/recovery.log | cut -c1-190
python3 - $OUT/logs <<'PY'
import json, sys, os
d = sys.argv[1]
key = lambda c: (c["group"], c["batch"], c["seqlen"], c["q_len"], c["heads"], c["varlen"], c["kv_dtype"])
runs = {}
for n in (1, 2, 4, 8):
    for g in ("large", "fp8"):
        p = f"{d}/{g}-n{n}.json"
        if os.path.exists(p):
            for c in json.load(open(p))["cases"]: runs.setdefault(key(c), {})[n] = c
print("case | us (MHz after) at 1 / 2 / 4 / 8 steps per timing")
for k, v in runs.items():
    if k[5] and k[0] == "large": pass
    cells = " | ".join("%7.1f (%4.0f)" % (v[n]["us"], v[n]["sm_mhz"]) if n in v else "-" for n in (1, 2, 4, 8))
    print("%-5s %3dx%-5d s_q%d h%-3d %-3s %-13s | %s" % (k[0], k[1], k[2], k[3], k[4],
          "var" if k[5] else "fix", k[6], cells))
PY
