#!/usr/bin/env bash
# Session 41 call 6 (~6 min, the session's last device time): bf16 caches at
# 16-row tiles gather every block (make_kv_tensor_map returns 0 for them;
# call 5: the gather read 7–8% faster than the TMA block path at h_q 16
# page 64). No kernel's SASS changes; the 16-row kernel now takes its
# gather path at every page size. Checked: the whole decode matrix (every
# head count × s_q × page size × lengths × batch × format), the other GPU
# tests but the soak and the sweep, racecheck and memcheck over every 24th
# matrix case; timed: the large h_q 16 cells and the page-size cells; last
# the sanitizer sweep's h16_s1 configurations under all four tools.
#   run: OUT=$OUT bash bench/results/2026-12-02-session41-calls/call6.sh
#        carry [".deps/cutlass-pip/cutlass_library/source/include"]
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-$PWD/gpu-out}; mkdir -p "$OUT"
cutlass=$PWD/.deps/cutlass-pip/cutlass_library/source/include
start=$(date +%s)
cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DMLADEC_CUTLASS_DIR=$cutlass \
  > /tmp/configure.log 2>&1 && cmake --build build-gpu -j16 > /tmp/build.log 2>&1 ||
  { tail -20 /tmp/build.log; exit 1; }
echo "build $(( $(date +%s) - start ))s"
# The matrix first (every case), then the other GPU tests but the soak
# and the sweep (the device time left: ~400 s).
build-gpu/tests/gpu/decode_matrix_gpu_test > "$OUT/matrix.log" 2>&1
echo "matrix rc=$? $(( $(date +%s) - start ))s"
grep -E "cases, worst|PASSED|FAILED" "$OUT/matrix.log" | head -12 | cut -c1-160
ctest --test-dir build-gpu -L gpu -E 'decode_matrix|soak|sanitizer_sweep' --timeout 120 \
  > "$OUT/gpu_tests.log" 2>&1
echo "other gpu tests rc=$? $(( $(date +%s) - start ))s"
grep -E "tests passed|Failed|\*\*\*" "$OUT/gpu_tests.log" | head -12 | cut -c1-160
for tool in racecheck memcheck; do
  MLADEC_GPU_QUICK=24 timeout 100 compute-sanitizer --tool $tool --error-exitcode 1 \
    build-gpu/tests/gpu/decode_matrix_gpu_test > "$OUT/$tool.log" 2>&1
  echo "$tool rc=$? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' "$OUT/$tool.log") $(( $(date +%s) - start ))s"
done
build-gpu/bench/mladec_bench --filter large --only 'h_q=16 ' --no-ceilings \
  --markdown "$OUT/large-h16.md" --json "$OUT/large-h16.json" > /tmp/b1.log 2>&1
build-gpu/bench/mladec_bench --filter page_size --no-ceilings \
  --markdown "$OUT/page-size.md" --json "$OUT/page-size.json" > /tmp/b2.log 2>&1
grep -E "^\| [0-9]" "$OUT/large-h16.md" "$OUT/page-size.md" | cut -d: -f2 | cut -c1-120
echo "bench $(( $(date +%s) - start ))s"
scripts/sanitizer-sweep.sh --tools memcheck,racecheck,initcheck,synccheck --filter 'h16_s1_*' \
  --jobs 8 --build-dir "$PWD/build-gpu" --out /tmp/sweep > "$OUT/sweep.txt" 2>&1
echo "sweep rc=$? $(( $(date +%s) - start ))s"; tail -8 "$OUT/sweep.txt"
echo "done $(( $(date +%s) - start ))s"
