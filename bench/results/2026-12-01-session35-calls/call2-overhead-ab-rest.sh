#!/usr/bin/env bash
# Session 35, call 2: split_overhead 160 / 256 / 320 on every benchmark cell
# call 1 did not cover (large fixed, fp8, fp8-compute, page sizes, small
# batches), 3 rounds interleaved, to decide an overhead per tile form
# (call 1: the 32- and 64-row large varlen cells 0.98-1.00 at 256, the
# 16-row ones 1.00-1.01).
# Run: OUT=$OUT MLADEC_COMMIT=<hash> bash bench/results/2026-12-01-session35-calls/call2-overhead-ab-rest.sh
# with carry [".deps/cutlass-pip/cutlass_library/source/include"].
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-$PWD/gpu-out}; mkdir -p "$OUT/ab"
cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release > "$OUT/ab/cfg.log" 2>&1 &&
  cmake --build build-gpu -j16 --target mladec_bench > "$OUT/ab/build.log" 2>&1 || { tail -30 "$OUT/ab/build.log"; exit 1; }
b=build-gpu/bench/mladec_bench
run() {  # name, overhead, bench args...
  local name=$1 ov=$2; shift 2
  timeout 200 $b --no-ceilings "$@" --split-overhead $ov \
    --json "$OUT/ab/$name-o$ov.json" --markdown /dev/null > "$OUT/ab/$name-o$ov.log" 2>&1
  echo "$name overhead $ov rc=$?"
}
for round in 1 2 3; do
  for ov in 160 256 320; do
    run r$round-fixed $ov --filter large --only fixed
    run r$round-fp8 $ov --filter fp8
    run r$round-fp8c $ov --filter fp8_compute
    run r$round-page $ov --filter page_size
    run r$round-small $ov --filter small_batch
  done
done
python3 bench/results/2026-12-01-session35-calls/overhead_ab_table.py "$OUT/ab" | tee "$OUT/overhead-ab-rest.md"
tar czf "$OUT/ab.tgz" -C "$OUT" ab && rm -rf "$OUT/ab"
