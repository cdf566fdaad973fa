#!/usr/bin/env bash
# Session 41 call 3 (~5 min): screen of the gather-lines branch (55eb60e:
# eight lanes to a row, a row group's copies from one base plus immediates)
# — matrix every 6th case, the screens, racecheck every 24th, then
# synccheck + racecheck over the sanitizer sweep's page-1 configurations —
# and 2 rounds against main (4b4632e) on the page-size cells (page 1 and
# 16: the gather kernels), two varlen bf16 cells (partial blocks gathered),
# one fixed TMA cell, an e4m3 cell and a small-batch cell (Q copies, which
# every kernel now issues the new way).
# here first: AB_PREPARE_BUILD=0 scripts/gpu-ab.sh --prepare 4b4632e 55eb60e
# run: OUT=$OUT bash bench/results/2026-12-02-session41-calls/call3.sh
#      carry [".deps/cutlass-pip/cutlass_library/source/include", "ab"]
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-$PWD/gpu-out}; mkdir -p "$OUT"
export MLADEC_CUTLASS_DIR=$PWD/.deps/cutlass-pip/cutlass_library/source/include
AB_CHECK=6 AB_CHECK_TREES='55eb60e' AB_RACECHECK=24 AB_TREES="4b4632e 55eb60e" \
  AB_ONLY='page_size 128x4096 s_q=1 h_q=|large 128x8192 s_q=1 h_q=16 page=64 varlen bf16|large 128x8192 s_q=1 h_q=64 page=64 |fp8 128x8192 s_q=1 h_q=16 page=64 fixed fp8_e4m3|small_batch 4x4096 s_q=1 h_q=128 ' \
  BENCH_ARGS='' scripts/gpu-ab.sh 2 > "$OUT/ab-lines.txt" 2>&1
cp "$OUT/ab_table.md" "$OUT/ab-lines-table.md"
grep -E "^builds|^build |^check " "$OUT/ab-lines.txt" | cut -c1-600
grep -o "RACECHECK SUMMARY[^)]*)" "$OUT/ab-lines.txt"
cut -c1-200 "$OUT/ab-lines-table.md"
tree=55eb60e
cmake --build "build-ab/$tree" -j16 --target sanitizer_sweep_gpu_test > /tmp/sweep-build.log 2>&1 ||
  { echo "sweep build failed"; tail -5 /tmp/sweep-build.log; exit 1; }
(cd "ab/$tree" && scripts/sanitizer-sweep.sh --tools synccheck,racecheck --filter '*_p1_*' \
   --jobs 8 --build-dir "$PWD/../../build-ab/$tree" --out "/tmp/sweep-$tree") > "$OUT/sweep-lines.txt" 2>&1
echo "sweep rc=$?"; tail -6 "$OUT/sweep-lines.txt"
