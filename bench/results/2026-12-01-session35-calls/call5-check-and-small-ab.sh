#!/usr/bin/env bash
# Session 35, call 5: the commit with small_step_share 64 and
# block_cut_share 1024 — gpu-check `smoke tests bench` (the benchmark of
# record if green), then the same build's small batches under the old
# values (--small-share 32 --block-cut-share 512) against the new
# defaults, 3 rounds interleaved.
# Run: OUT=$OUT MLADEC_COMMIT=<hash> bash bench/results/2026-12-01-session35-calls/call5-check-and-small-ab.sh
# with carry [".deps/cutlass-pip/cutlass_library/source/include"].
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-$PWD/gpu-out}; mkdir -p "$OUT/ab"
scripts/gpu-check.sh smoke tests bench > "$OUT/check-summary.md" 2>&1
b=build-gpu/bench/mladec_bench
for round in 1 2 3; do
  for v in "new:" "old:--small-share 32 --block-cut-share 512"; do
    name=${v%%:*}; flags=${v#*:}
    timeout 120 $b --no-ceilings --filter small_batch $flags \
      --json "$OUT/ab/r$round-$name.json" --markdown /dev/null > "$OUT/ab/r$round-$name.log" 2>&1
    echo "round $round $name rc=$?"
  done
done
python3 - "$OUT/ab" <<'PY' | tee "$OUT/small-ab.md"
import collections, glob, json, os, statistics, sys
t = collections.defaultdict(lambda: collections.defaultdict(list))
flash = {}
for path in glob.glob(f"{sys.argv[1]}/r*.json"):
    name = os.path.basename(path)[:-5].split("-", 1)[1]
    for c in json.load(open(path))["cases"]:
        key = f"{c['batch']}x{c['seqlen']} h_q={c['heads']}"
        t[key][name].append(c["us"]); flash[key] = c["flashmla_us"]
print("| cell | FlashMLA µs | old µs | new µs | new/old | FlashMLA/new |")
print("|---|---|---|---|---|---|")
for key in sorted(t, key=lambda k: (int(k.split("=")[1]), int(k.split("x")[0]), int(k.split("x")[1].split()[0]))):
    o, n = (statistics.median(t[key][v]) for v in ("old", "new"))
    print(f"| {key} | {flash[key]} | {o:.1f} | {n:.1f} | {n / o:.3f} | {flash[key] / n:.2f} |")
PY
sed -n '/==== summary/,$p' "$OUT/check-summary.md"
tar czf "$OUT/ab.tgz" -C "$OUT" ab && rm -rf "$OUT/ab"
