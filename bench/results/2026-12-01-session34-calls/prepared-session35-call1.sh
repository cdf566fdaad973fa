#!/usr/bin/env bash
# Prepared in session 34 for session 35's first device call (~6-7 min):
#   1. what call 9 left out of main's full check: the benchmark (of record,
#      if nothing else changed) and the sanitizer sweep (gpu-check.sh bench sweep);
#   2. split_overhead 256 and 320 against 160 on the large varlen cells, 3
#      rounds interleaved, in one process each (bench/NOTES.md v91: at 64-row
#      tiles a varlen piece costs ~280-310 tokens, not 160);
#   3. a step timeline of 128 x varlen 8192 h_q 64 under each overhead, read by
#      scripts/step-timeline-spans-vs-plan.py (do the spans even out?).
# Run: OUT=$OUT MLADEC_COMMIT=<main's hash> bash bench/results/2026-12-01-session34-calls/prepared-session35-call1.sh
# with carry [".deps/cutlass-pip/cutlass_library/source/include"].
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-$PWD/gpu-out}; mkdir -p "$OUT"
scripts/gpu-check.sh bench sweep > "$OUT/check-summary.md" 2>&1
sed -n '/==== summary/,$p' "$OUT/check-summary.md"
mkdir -p "$OUT/overhead"
b=build-gpu/bench/mladec_bench
for round in 1 2 3; do
  for ov in 160 256 320; do
    timeout 150 $b --no-ceilings --filter large --only varlen --split-overhead $ov \
      --json "$OUT/overhead/r$round-o$ov.json" --markdown /dev/null > "$OUT/overhead/r$round-o$ov.log" 2>&1
    echo "round $round overhead $ov rc=$?"
  done
done
cmake -S . -B build-tl -G Ninja -DCMAKE_BUILD_TYPE=Release -DMLADEC_BLOCK_TRACE=ON \
  > "$OUT/overhead/cfg-tl.log" 2>&1 && timeout 300 cmake --build build-tl -j16 --target mladec_cli \
  > "$OUT/overhead/build-tl.log" 2>&1 || tail -20 "$OUT/overhead/build-tl.log"
for ov in 160 256 320; do
  shape="--batch 128 --heads 64 --varlen 8192 --split-overhead $ov"
  MLADEC_STEP_TIMELINE=50 timeout 120 build-tl/tools/mladec run $shape --dtype bf16 --backend gpu \
    --repeats 5 2> "$OUT/overhead/tl-o$ov.txt" > "$OUT/overhead/tl-o$ov.out"
  echo "== timeline, overhead $ov: $(grep -E 'median' "$OUT/overhead/tl-o$ov.out" | cut -c1-30)"
  python3 scripts/step-timeline-spans-vs-plan.py "$OUT/overhead/tl-o$ov.txt" build-tl/tools/mladec $shape
done
python3 - "$OUT/overhead" <<'PY' | tee "$OUT/overhead-ab.md"
import collections, glob, json, statistics, sys
out = sys.argv[1]
times = collections.defaultdict(lambda: collections.defaultdict(list))
for path in glob.glob(f"{out}/r*-o*.json"):
    ov = int(path.rsplit("-o", 1)[1][:-5])
    for c in json.load(open(path))["cases"]:
        key = f"{c['batch']}x{c['seqlen']} s_q={c['q_len']} h_q={c['heads']}"
        times[key][ov].append(c["us"])
print("| large varlen | 160 | 256 | 320 | 256/160 | 320/160 |")
print("|---|---|---|---|---|---|")
for key, per in times.items():
    m = {ov: statistics.median(v) for ov, v in per.items()}
    print(f"| {key} | {m.get(160, 0):.1f} | {m.get(256, 0):.1f} | {m.get(320, 0):.1f} | "
          f"{m.get(256, 0) / m[160]:.3f} | {m.get(320, 0) / m[160]:.3f} |")
PY
tar czf "$OUT/overhead.tgz" -C "$OUT" overhead && rm -rf "$OUT/overhead"
