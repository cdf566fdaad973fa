#!/usr/bin/env bash
# Session 35, call 4: the small-step planner knobs on the 24 small-batch
# cells, 2 rounds interleaved, one variant per run (defaults: min-share 128,
# small-share 32, small-workers 50, block-cut-share 512, split-overhead 160).
# Call 2 showed these plans move 2-6% with the overhead, deterministically
# (the overhead moves total cost / min_worker_share, the worker count).
# Run: OUT=$OUT MLADEC_COMMIT=<hash> bash bench/results/2026-12-01-session35-calls/call4-small-batch-knobs.sh
# with carry [".deps/cutlass-pip/cutlass_library/source/include"].
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-$PWD/gpu-out}; mkdir -p "$OUT/knobs"
cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release > "$OUT/knobs/cfg.log" 2>&1 &&
  cmake --build build-gpu -j16 --target mladec_bench > "$OUT/knobs/build.log" 2>&1 || { tail -30 "$OUT/knobs/build.log"; exit 1; }
variants=("default:" "min64:--min-share 64" "min96:--min-share 96" "min192:--min-share 192"
  "min256:--min-share 256" "small16:--small-share 16" "small64:--small-share 64"
  "workers33:--small-workers 33" "workers75:--small-workers 75" "workers100:--small-workers 100"
  "cut0:--block-cut-share 0" "cut1024:--block-cut-share 1024" "cut2048:--block-cut-share 2048")
for round in 1 2; do
  for v in "${variants[@]}"; do
    name=${v%%:*}; flags=${v#*:}
    timeout 120 build-gpu/bench/mladec_bench --no-ceilings --filter small_batch $flags \
      --json "$OUT/knobs/r$round-$name.json" --markdown /dev/null > "$OUT/knobs/r$round-$name.log" 2>&1
    echo "round $round $name rc=$?"
  done
done
python3 - "$OUT/knobs" <<'PY' | tee "$OUT/small-batch-knobs.md"
import collections, glob, json, os, statistics, sys
times = collections.defaultdict(lambda: collections.defaultdict(list))
flash = {}
for path in glob.glob(f"{sys.argv[1]}/r*.json"):
    name = os.path.basename(path)[:-5].split("-", 1)[1]
    for c in json.load(open(path))["cases"]:
        key = f"{c['batch']}x{c['seqlen']} h_q={c['heads']}"
        times[key][name].append(c["us"])
        flash[key] = c["flashmla_us"]
names = sorted({n for per in times.values() for n in per}, key=lambda n: (n != "default", n))
print("| cell | FlashMLA | default µs | " + " | ".join(n for n in names if n != "default") + " |")
print("|---|---|---|" + "---|" * (len(names) - 1))
for key in sorted(times, key=lambda k: (int(k.split("=")[1]), int(k.split("x")[0]), int(k.split("x")[1].split()[0]))):
    m = {n: statistics.median(v) for n, v in times[key].items()}
    d = m["default"]
    print(f"| {key} | {flash[key]} | {d:.1f} | " +
          " | ".join(f"{m[n] / d:.3f}" for n in names if n != "default") + " |")
PY
tar czf "$OUT/knobs.tgz" -C "$OUT" knobs && rm -rf "$OUT/knobs"
