#!/usr/bin/env bash
# Session 40 call 3: the owner-gathers kernel with the owner's wait on its own
# release (call 2: synccheck "missing wait" on row_part_empty) — synccheck on
# call 1's failing configuration first, then, if clean, the full check.
#   run: OUT=$OUT COMMIT=<hash> bash bench/results/2026-12-02-session40-calls/call3.sh
#        carry [".deps/cutlass-pip/cutlass_library/source/include"]
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-$PWD/gpu-out}; mkdir -p "$OUT"
: "${COMMIT:?COMMIT=<the commit checked>}"
export MLADEC_CUTLASS_DIR=$PWD/.deps/cutlass-pip/cutlass_library/source/include
cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null &&
  cmake --build build-gpu -j16 --target sanitizer_sweep_gpu_test >/dev/null 2>&1 || exit 1
cfg=h128_s1_p1_b24_zeromix200
compute-sanitizer --tool synccheck --print-limit 10 build-gpu/tests/gpu/sanitizer_sweep_gpu_test \
  --gtest_filter="Sweep/SanitizerSweep.Decode/$cfg" >"$OUT/pre-synccheck-$cfg.log" 2>&1
rc=$?
echo "pre-check synccheck $cfg rc=$rc $(grep 'ERROR SUMMARY' "$OUT/pre-synccheck-$cfg.log")"
[ $rc -eq 0 ] || { head -30 "$OUT/pre-synccheck-$cfg.log" | cut -c1-200; exit 1; }
MLADEC_COMMIT="$COMMIT" OUT="$OUT" scripts/gpu-check.sh smoke tests bench sanitize sweep \
  >"$OUT/check.txt" 2>&1
echo "check rc=$?"
grep -E "cases, worst|soak|mismatch" "$OUT/check.txt" | head -14 | cut -c1-160
tail -42 "$OUT/check.txt" | cut -c1-200
