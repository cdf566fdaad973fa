#!/usr/bin/env bash
# Session 40 call 2: the synccheck report of call 1's sweep (owner-gathers
# candidate, h128_s1_p1_b24_zeromix200: 828 reports), its log kept this time,
# and synccheck over the other page-1 / zeromix configurations.
#   here: scripts/gpu-ab.sh --prepare-patched 7246df0 owner=owner-gathers-half-a
#   run:  OUT=$OUT bash bench/results/2026-12-02-session40-calls/call2.sh
#         carry [".deps/cutlass-pip/cutlass_library/source/include", "ab"]
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-$PWD/gpu-out}; mkdir -p "$OUT"
export MLADEC_CUTLASS_DIR=$PWD/.deps/cutlass-pip/cutlass_library/source/include
cd ab/owner
cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DMLADEC_CUTLASS_DIR="$MLADEC_CUTLASS_DIR" >/dev/null &&
  cmake --build build-gpu -j16 --target sanitizer_sweep_gpu_test >"$OUT/build.log" 2>&1 || { tail -30 "$OUT/build.log"; exit 1; }
bin=build-gpu/tests/gpu/sanitizer_sweep_gpu_test
cfg=h128_s1_p1_b24_zeromix200
compute-sanitizer --tool synccheck --print-limit 40 $bin --gtest_filter="Sweep/SanitizerSweep.Decode/$cfg" >"$OUT/synccheck-$cfg.log" 2>&1
echo "rc=$?"
grep -E "ERROR SUMMARY|Barrier|barrier|Divergent|Invalid|at .*0x" "$OUT/synccheck-$cfg.log" | sort | uniq -c | sort -rn | head -30
head -60 "$OUT/synccheck-$cfg.log" | cut -c1-200
# Three runs of the config: is the count stable?
for k in 1 2; do
  compute-sanitizer --tool synccheck --print-limit 0 $bin --gtest_filter="Sweep/SanitizerSweep.Decode/$cfg" 2>&1 | grep "ERROR SUMMARY"
done
