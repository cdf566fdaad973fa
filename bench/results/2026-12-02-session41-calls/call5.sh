#!/usr/bin/env bash
# Session 41 call 5 (~5 min): with v101's gather (eight lanes to a row),
# page 1 h_q 16 read 4.05 TB/s — faster than page 64's TMA path (150.1
# against 155.8 µs). Does the gather beat the TMA block path at page 64 too?
# The large bf16 cells (and the page-size cells), with and without
# MLADEC_KV_TMA=0 (every bf16 block gathered; 64-row tiles then take the
# owner-gathers kernel), alternating, 2 rounds each. No build change.
#   run: OUT=$OUT bash bench/results/2026-12-02-session41-calls/call5.sh
#        carry [".deps/cutlass-pip/cutlass_library/source/include"]
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-$PWD/gpu-out}; mkdir -p "$OUT"
cutlass=$PWD/.deps/cutlass-pip/cutlass_library/source/include
cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DMLADEC_BUILD_TESTS=OFF \
  -DMLADEC_CUTLASS_DIR=$cutlass > /tmp/configure.log 2>&1 &&
  cmake --build build-gpu -j16 --target mladec_bench > /tmp/build.log 2>&1 || { tail /tmp/build.log; exit 1; }
for round in 1 2; do
  for mode in tma gather; do
    for group in large page_size; do
      env_args=()
      [ $mode = gather ] && env_args=(MLADEC_KV_TMA=0)
      env "${env_args[@]}" build-gpu/bench/mladec_bench --filter $group --no-ceilings \
        --json "$OUT/$group-$mode-$round.json" > "$OUT/$group-$mode-$round.log" 2>&1
      echo "$group $mode round $round rc=$?"
    done
  done
done
python3 - "$OUT" <<'PY'
import json, sys, collections
out = sys.argv[1]
times = collections.defaultdict(lambda: collections.defaultdict(list))
for group in ("large", "page_size"):
    for mode in ("tma", "gather"):
        for r in (1, 2):
            try:
                cases = json.load(open(f"{out}/{group}-{mode}-{r}.json"))["cases"]
            except Exception as e:
                print("missing", group, mode, r, e); continue
            for c in cases:
                name = f"{c['batch']}x{c['seqlen']} s_q={c['q_len']} h_q={c['heads']} page={c['page_size']} {'varlen' if c['varlen'] else 'fixed'}"
                times[name][mode].append(c["us"])
print("| case | TMA path µs | gather µs | gather / TMA |")
print("|---|---|---|---|")
for name, t in times.items():
    a, b = t.get("tma", []), t.get("gather", [])
    ratio = (sum(b) / len(b)) / (sum(a) / len(a)) if a and b else float("nan")
    print(f"| {name} | {' / '.join(f'{x:.1f}' for x in a)} | {' / '.join(f'{x:.1f}' for x in b)} | {ratio:.3f} |")
PY
