#!/usr/bin/env bash
# compute-sanitizer sweep (needs an sm_90 GPU): runs every configuration of
# tests/gpu/test_sanitizer_sweep.cpp (the edges: h_q 1..128, page size 1,
# s_q 16, zero-length requests, batch 1 and 1000, both policies, extreme
# worker counts) under memcheck, racecheck, initcheck and synccheck, one
# process per (tool, configuration), and checks every output row against the
# float64 reference too. Prints a short summary and exits 1 on any sanitizer
# report, wrong result or crash; logs and summary.md go to DIR.
#   scripts/sanitizer-sweep.sh [--tools memcheck,racecheck,initcheck,synccheck]
#       [--filter GLOB] [--jobs N] [--build-dir DIR] [--out DIR] [--list]
# --filter selects configurations by name (e.g. '*_b1000_*'); --jobs runs N
# processes at once on the GPU (default 4); --out defaults to $OUT, else
# build-sanitizer/.
set -uo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="memcheck,racecheck,initcheck,synccheck"
filter="*"
jobs=4
build_dir="${repo_root}/build"
out_dir="${OUT:-${repo_root}/build-sanitizer}"
list_only=0

usage() {
  sed -n '2,13s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&"$(($1 == 0 ? 1 : 2))"
  exit "$1"
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --tools) [[ $# -ge 2 ]] || usage 2; tools="$2"; shift 2 ;;
    --filter) [[ $# -ge 2 ]] || usage 2; filter="$2"; shift 2 ;;
    --jobs) [[ $# -ge 2 && "$2" =~ ^[1-9][0-9]*$ ]] || usage 2; jobs="$2"; shift 2 ;;
    --build-dir) [[ $# -ge 2 ]] || usage 2; build_dir="$2"; shift 2 ;;
    --out) [[ $# -ge 2 ]] || usage 2; out_dir="$2"; shift 2 ;;
    --list) list_only=1; shift ;;
    -h|--help) usage 0 ;;
    *) echo "sanitizer-sweep.sh: unknown argument '$1'" >&2; usage 2 ;;
  esac
done
IFS=',' read -r -a tool_list <<<"${tools}"
for tool in "${tool_list[@]}"; do
  case "${tool}" in
    memcheck|racecheck|initcheck|synccheck) ;;
    *) echo "sanitizer-sweep.sh: unknown tool '${tool}'" >&2; usage 2 ;;
  esac
done

binary="${build_dir}/tests/gpu/sanitizer_sweep_gpu_test"
if [[ ! -x "${binary}" ]]; then
  "${repo_root}/scripts/build.sh" --build-dir "${build_dir}" >/dev/null ||
    { echo "sanitizer-sweep.sh: the build failed" >&2; exit 1; }
fi
if ! command -v compute-sanitizer >/dev/null 2>&1 && [[ "${list_only}" -eq 0 ]]; then
  echo "sanitizer-sweep.sh: compute-sanitizer is not on PATH (CUDA toolkit bin/)" >&2
  exit 1
fi

# The configurations are the test's parameter names; listing them needs the
# GPU too (the test binary exits 77 without one).
listing="$("${binary}" --gtest_list_tests --gtest_filter='Sweep/*')"
case $? in
  0) ;;
  77) echo "sanitizer-sweep.sh: no usable sm_90 GPU: ${listing}" >&2; exit 1 ;;
  *) echo "sanitizer-sweep.sh: listing the configurations failed" >&2; exit 1 ;;
esac
configs=()
while read -r name _; do
  # shellcheck disable=SC2053  # $filter is a glob on purpose
  [[ "${name}" == Decode/* && "${name#Decode/}" == ${filter} ]] &&
    configs+=("${name#Decode/}")
done <<<"${listing}"
if [[ ${#configs[@]} -eq 0 ]]; then
  echo "sanitizer-sweep.sh: no configuration matches '${filter}'" >&2
  exit 1
fi
if [[ "${list_only}" -eq 1 ]]; then
  printf '%s\n' "${configs[@]}"
  exit 0
fi

# run_one TOOL CONFIG: one sanitizer process; writes DIR/TOOL/CONFIG.result
# as "ok", "reports N", "wrong result" or "crash (exit N)".
run_one() {
  local tool="$1" config="$2"
  local log="${out_dir}/${tool}/${config}.log"
  compute-sanitizer --tool "${tool}" --error-exitcode 99 "${binary}" \
    --gtest_filter="Sweep/SanitizerSweep.Decode/${config}" >"${log}" 2>&1
  local rc=$?
  local errors race_errors race_warnings
  errors="$(sed -n 's/.*ERROR SUMMARY: \([0-9][0-9]*\) error.*/\1/p' "${log}" | tail -n 1)"
  # racecheck sums up its hazards in errors and warnings; both count here.
  race_errors="$(sed -n 's/.*RACECHECK SUMMARY: .*(\([0-9][0-9]*\) error.*/\1/p' "${log}" | tail -n 1)"
  race_warnings="$(sed -n 's/.*RACECHECK SUMMARY: .* \([0-9][0-9]*\) warning.*/\1/p' "${log}" | tail -n 1)"
  errors=${errors:-0} race_errors=${race_errors:-0}
  local reports=$(( (errors > race_errors ? errors : race_errors) + ${race_warnings:-0} ))
  local result
  if [[ ${rc} -eq 99 || ${reports} -gt 0 ]]; then
    result="reports $(( reports > 0 ? reports : 1 ))"
  elif [[ ${rc} -eq 1 ]]; then
    result="wrong result"
  elif [[ ${rc} -ne 0 ]]; then
    result="crash (exit ${rc})"
  elif ! grep -q '\[  PASSED  \] 1 test' "${log}"; then
    result="crash (test did not run)"
  else
    result="ok"
  fi
  echo "${result}" >"${out_dir}/${tool}/${config}.result"
}

echo "sanitizer-sweep: ${#configs[@]} configurations x ${#tool_list[@]} tools, ${jobs} at a time; logs in ${out_dir}"
declare -A seconds
for tool in "${tool_list[@]}"; do
  mkdir -p "${out_dir}/${tool}"
  rm -f "${out_dir}/${tool}"/*.result
  start=$(date +%s)
  for config in "${configs[@]}"; do
    while [[ $(jobs -rp | wc -l) -ge ${jobs} ]]; do wait -n; done
    run_one "${tool}" "${config}" &
  done
  wait
  seconds[${tool}]=$(( $(date +%s) - start ))
done

# summary.md: every configuration x tool; stdout: totals and what failed.
summary="${out_dir}/summary.md"
{
  printf '| configuration |'; printf ' %s |' "${tool_list[@]}"; echo
  printf '|---|'; printf -- '---|%.0s' "${tool_list[@]}"; echo
  for config in "${configs[@]}"; do
    printf '| %s |' "${config}"
    for tool in "${tool_list[@]}"; do
      printf ' %s |' "$(cat "${out_dir}/${tool}/${config}.result" 2>/dev/null || echo missing)"
    done
    echo
  done
} >"${summary}"

failed=0
printf '\n%-10s %8s %8s %8s\n' tool configs clean seconds
for tool in "${tool_list[@]}"; do
  clean=$(grep -lx ok "${out_dir}/${tool}"/*.result 2>/dev/null | wc -l)
  printf '%-10s %8d %8d %8d\n' "${tool}" "${#configs[@]}" "${clean}" "${seconds[${tool}]}"
  for config in "${configs[@]}"; do
    result="$(cat "${out_dir}/${tool}/${config}.result" 2>/dev/null || echo missing)"
    if [[ "${result}" != ok ]]; then
      echo "  ${config}: ${result} (${out_dir}/${tool}/${config}.log)"
      failed=1
    fi
  done
done
echo "full table: ${summary}"
if [[ ${failed} -ne 0 ]]; then
  echo "sanitizer-sweep: FAILED"
  exit 1
fi
echo "sanitizer-sweep: ${#configs[@]} configurations x ${#tool_list[@]} tools, zero reports"
