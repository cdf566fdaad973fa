#!/usr/bin/env bash
# One device-machine call: build with every core, run the GPU tests, a
# compute-sanitizer pass and (when built) the benchmark. Logs and JSON go to
# $OUT; a short table comes last. Usage: scripts/gpu-check.sh
#   [smoke|tests|bench|sanitize|sweep|python|pip|profile|all]...
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-$PWD/gpu-out}
mkdir -p "$OUT"
# Files already in $OUT are the caller's (a call script's own log, e.g. this
# script's output redirected there): the bundling at the end leaves them
# alone (session 34 lost a call's test log to it).
declare -A callers_files=()
for f in "$OUT"/*; do [ -e "$f" ] && callers_files["$(basename "$f")"]=1; done
steps=("$@")
[ ${#steps[@]} -eq 0 ] && steps=(all)
want() { for s in "${steps[@]}"; do [ "$s" = all ] || [ "$s" = "$1" ] && return 0; done; return 1; }
summary=()

nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,temperature.gpu --format=csv \
  | tee "$OUT/gpu.txt"
start=$(date +%s)
if want python || want pip; then
  # The pinned build tools travel as wheels in .whl/ (no registry on the
  # device); the extension is built in this tree (MLADEC_BUILD_PYTHON) so the
  # CUDA code compiles once.
  python3 -m pip install -q --upgrade --no-index --no-deps --target /tmp/tools .whl/*.whl
  export PYTHONPATH=/tmp/tools
  # The device's default CXX (/opt/gcc) links libstdc++ statically, and a
  # Python module holding its own static libstdc++ crashed on its first
  # formatted error message (run of 2026-11-29); the system g++ links it
  # dynamically, as a wheel must.
  if [ -x /usr/bin/g++ ]; then export CXX=/usr/bin/g++ CUDAHOSTCXX=/usr/bin/g++; fi
  CMAKE_ARGS="${CMAKE_ARGS:-} -DMLADEC_BUILD_PYTHON=ON"
fi
# CMAKE_ARGS / BUILD_TARGETS / CTEST_ARGS / BENCH_ARGS / PYTEST_ARGS (environment)
# narrow the build, the GPU tests, the benchmark and the Python tests when needed.
# BENCH_TIMEOUT (seconds, default 300) bounds the benchmark.
cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release ${CMAKE_ARGS:-} \
    >"$OUT/configure.log" 2>&1 &&
  cmake --build build-gpu -j"$(nproc)" ${BUILD_TARGETS:+--target $BUILD_TARGETS} \
    >"$OUT/build.log" 2>&1
build_rc=$?
summary+=("build rc=$build_rc $(( $(date +%s) - start ))s")
if [ $build_rc -ne 0 ]; then tail -40 "$OUT/build.log"; printf '%s\n' "${summary[@]}"; exit 1; fi

sass="$OUT/decode_sass.txt"
cuobjdump -sass build-gpu/libmladec.a >"$sass" 2>/dev/null
summary+=("sass: HGMMA=$(grep -c HGMMA "$sass") HMMA=$(grep -c 'HMMA' "$sass") LDL/STL=$(grep -cE '\bLDL|\bSTL' "$sass")")

if want smoke; then
  # A few matrix cases under a short timeout: a kernel that hangs or fails
  # here would only waste the long steps below.
  start=$(date +%s)
  MLADEC_GPU_QUICK=24 timeout 60 build-gpu/tests/gpu/decode_matrix_gpu_test \
    >"$OUT/smoke.log" 2>&1
  rc=$?
  grep -E "cases, worst|Failure|error|FAILED|PASSED" "$OUT/smoke.log" | head -20
  summary+=("smoke rc=$rc $(( $(date +%s) - start ))s")
  if [ $rc -ne 0 ]; then tail -30 "$OUT/smoke.log"; printf '%s\n' "${summary[@]}"; exit 1; fi
fi

if want tests; then
  start=$(date +%s)
  ctest --test-dir build-gpu -L gpu -V --timeout 240 ${CTEST_ARGS:-} >"$OUT/gpu_tests.log" 2>&1
  rc=$?
  grep -E "cases, worst|soak:|tests passed|Failed|Passed|\*\*\*" "$OUT/gpu_tests.log" | head -24
  summary+=("gpu tests rc=$rc $(( $(date +%s) - start ))s")
fi

if want bench && [ -x build-gpu/bench/mladec_bench ]; then
  # Pass MLADEC_COMMIT from the machine holding the repository, as a
  # literal (`MLADEC_COMMIT=abc1234`, not `$(git rev-parse ...)` inside the
  # device command): the device copy's git HEAD is stale — runs of
  # 2026-11-29 stamped an old commit both ways — so without it the results
  # say "unknown" rather than a wrong commit.
  # A hung benchmark must not take the sanitizers' part of the call with it.
  MLADEC_COMMIT=${MLADEC_COMMIT:-unknown} \
    timeout "${BENCH_TIMEOUT:-300}" \
    build-gpu/bench/mladec_bench --json "$OUT/bench.json" --markdown "$OUT/bench.md" \
    ${BENCH_ARGS:-} >"$OUT/bench.log" 2>&1
  summary+=("bench rc=$?")
  cat "$OUT/bench.md" 2>/dev/null | head -80
  # Issues 3 and 4's targets against this run (printed before the summary).
  python3 bench/targets.py "$OUT/bench.json" >"$OUT/targets.md" 2>&1 && targets_written=1
fi

if want sanitize; then
  # MLADEC_GPU_QUICK=N runs every N-th matrix case: racecheck is ~10x slower.
  for tool in memcheck racecheck; do
    start=$(date +%s)
    stride=8; [ $tool = racecheck ] && stride=40
    MLADEC_GPU_QUICK=$stride compute-sanitizer --tool $tool --error-exitcode 1 \
      build-gpu/tests/gpu/decode_matrix_gpu_test >"$OUT/sanitize_$tool.log" 2>&1
    rc=$?
    summary+=("sanitizer $tool rc=$rc $(tail -1 "$OUT/sanitize_$tool.log") $(( $(date +%s) - start ))s")
  done
  # Checked mode's grid barrier and status traffic (input_checks_device.cuh).
  for tool in memcheck racecheck synccheck; do
    start=$(date +%s)
    compute-sanitizer --tool $tool --error-exitcode 1 build-gpu/tests/gpu/checked_mode_gpu_test \
      >"$OUT/sanitize_checked_$tool.log" 2>&1
    rc=$?
    summary+=("sanitizer $tool (checked mode) rc=$rc $(tail -1 "$OUT/sanitize_checked_$tool.log") $(( $(date +%s) - start ))s")
  done
fi

if want sweep; then
  # Every configuration of the sanitizer sweep under all four tools, 16
  # processes at a time (~1 min on the H200); SWEEP_TOOLS narrows it.
  start=$(date +%s)
  scripts/sanitizer-sweep.sh --tools "${SWEEP_TOOLS:-memcheck,racecheck,initcheck,synccheck}" \
    --jobs 16 --build-dir build-gpu --out /tmp/sweep >"$OUT/sweep.log" 2>&1
  rc=$?
  tail -8 "$OUT/sweep.log"
  cp /tmp/sweep/summary.md "$OUT/sweep_summary.txt" 2>/dev/null
  # Each failing configuration's log (its first 300 KB) comes back in the
  # archive: /tmp/sweep stays on the device, and session 40 spent a second
  # call fetching one synccheck log.
  for result in /tmp/sweep/*/*.result; do
    [ -e "$result" ] && ! grep -qx ok "$result" || continue
    tool_dir=$(dirname "$result")
    head -c 300000 "${result%.result}.log" \
      >"$OUT/sweep_failure_$(basename "$tool_dir")_$(basename "${result%.result}").log"
  done
  summary+=("sanitizer sweep rc=$rc $(( $(date +%s) - start ))s")
fi

if want python; then
  # The package against the device's own PyTorch/CuPy, from the build tree.
  start=$(date +%s)
  PYTHONPATH=$PWD/build-gpu/python:/tmp/tools timeout 400 python3 -X faulthandler -m pytest \
    ${PYTEST_ARGS:-python/tests} -v -rs -p no:cacheprovider >"$OUT/pytest.log" 2>&1
  rc=$?
  grep -E "Fatal Python|Segmentation|File \"|Error|FAILED" "$OUT/pytest.log" | head -30
  tail -8 "$OUT/pytest.log"
  summary+=("python rc=$rc $(( $(date +%s) - start ))s")
fi

if want pip; then
  # `pip install .` as a user runs it (scikit-build-core builds the wheel).
  start=$(date +%s)
  python3 -m pip install -q --no-build-isolation --no-deps --target /tmp/site \
    -C build-dir=build-pip . >"$OUT/pip.log" 2>&1 &&
    (cd /tmp && PYTHONPATH=/tmp/site python3 -c "import mladec; print(mladec.__version__, mladec.with_cuda)") \
    >>"$OUT/pip.log" 2>&1
  rc=$?
  tail -3 "$OUT/pip.log"
  summary+=("pip install rc=$rc $(( $(date +%s) - start ))s")
fi

if want profile; then
  # Nsight Compute (scripts/ncu-profile.sh) on one launch of a memory-bound
  # and a compute-bound bf16 case and a memory-bound fp8 one, into the log
  # archive. PROFILE_CASES (';'-separated) overrides; PROFILE_KERNELS and
  # PROFILE_LAUNCHES pass through.
  IFS=';' read -r -a cases <<<"${PROFILE_CASES:-128x8192 s_q=1 h_q=16 page=64 fixed bf16;128x8192 s_q=1 h_q=128 page=64 fixed bf16;128x8192 s_q=1 h_q=16 page=64 fixed fp8_e4m3}"
  for case in "${cases[@]}"; do
    scripts/ncu-profile.sh build-gpu/bench/mladec_bench "$case" "$OUT"
    summary+=("ncu $case rc=$?")
  done
fi

# The device returns at most 8 files: keep the JSON and markdown of the
# benchmark as they are and bundle this script's logs into one archive.
own_logs=()
for f in "$OUT"/*.log "$OUT"/*.txt; do
  [ -e "$f" ] && [ -z "${callers_files[$(basename "$f")]:-}" ] && own_logs+=("./$(basename "$f")")
done
if [ ${#own_logs[@]} -gt 0 ]; then
  (cd "$OUT" && tar czf logs.tgz "${own_logs[@]}" 2>/dev/null && rm -f "${own_logs[@]}")
fi

if [ -n "${targets_written:-}" ]; then
  echo "==== targets (bench/targets.py; targets.md names the misses)"
  grep '^| [34] ' "$OUT/targets.md" | cut -d'|' -f2-5
fi
echo "==== summary"
printf '%s\n' "${summary[@]}"
