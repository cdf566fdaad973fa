#!/usr/bin/env bash
# Builds the planner fuzzer (fuzz/: libFuzzer + ASan + UBSan, clang, no CUDA)
# into build-fuzz/ and runs it for SECONDS (default 60), starting from the
# seeds in fuzz/corpus/. Exits nonzero on any crash, sanitizer report or
# hang; the input that caused it is left in build-fuzz/ as crash-*,
# timeout-* or oom-*, and `build-fuzz/plan_fuzzer FILE` replays it.
#   scripts/fuzz.sh [SECONDS] [libFuzzer flags...]
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${repo_root}/build-fuzz"
seconds="${1:-60}"
[[ $# -gt 0 ]] && shift

cxx="${MLADEC_FUZZ_CXX:-}"
if [[ -z "${cxx}" ]]; then
  for candidate in clang++ clang++-18 clang++-17 clang++-16 clang++-15 clang++-14; do
    if command -v "${candidate}" >/dev/null 2>&1; then cxx="${candidate}"; break; fi
  done
fi
if [[ -z "${cxx}" ]]; then
  echo "fuzz.sh: no clang++ found; the fuzzer needs clang with libFuzzer" >&2
  echo "  (Debian 12: apt-get install clang libclang-rt-14-dev; or set MLADEC_FUZZ_CXX)" >&2
  exit 1
fi

cmake -S "${repo_root}/fuzz" -B "${build_dir}" -G Ninja \
  -DCMAKE_CXX_COMPILER="${cxx}" >/dev/null
cmake --build "${build_dir}" --parallel "$(nproc)"

# New inputs go to the scratch corpus; fuzz/corpus/ is only read.
mkdir -p "${build_dir}/corpus"
log="${build_dir}/fuzz.log"
# -timeout: one input running 10 s means the planner hangs.
if ! "${build_dir}/plan_fuzzer" "${build_dir}/corpus" "${repo_root}/fuzz/corpus" \
    -max_total_time="${seconds}" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="${build_dir}/" "$@" >"${log}" 2>&1; then
  tail -n 40 "${log}" >&2
  echo "fuzz.sh: the planner fuzzer failed; the input is in ${build_dir}/" >&2
  exit 1
fi
runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "${log}")"
rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "${log}")"
echo "fuzz.sh: planner fuzzer ran ${runs} inputs in ${seconds} s (${rate}/s), no failure"
