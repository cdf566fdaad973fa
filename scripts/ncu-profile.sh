#!/usr/bin/env bash
# Nsight Compute, full set, of one benchmark case: the details page and the
# SASS with its warp-stall samples as CSV (scripts/ncu-stalls.py reads it),
# and a few headline metrics on stdout. Used by gpu-check.sh (profile) and
# gpu-ab.sh (AB_PROFILE), on the device.
#   scripts/ncu-profile.sh BENCH_BINARY CASE OUT_DIR [PREFIX]
# PROFILE_KERNELS (a regex, default decode) and PROFILE_LAUNCHES (default 1)
# widen it, e.g. 'decode|combine' and 2 for a small batch's two kernels.
# Exits with ncu's status.
set -uo pipefail
bench=$1 case=$2 out=$3 prefix=${4:-}
# The whole case in the name: cut short, the blockwise and e4m3 cases of one
# shape shared a name and one profile overwrote the other (session 12).
name=$prefix$(echo "$case" | tr -c 'a-zA-Z0-9' '_' | sed 's/_*$//')
ncu --clock-control none -k "regex:${PROFILE_KERNELS:-decode}" \
  --launch-count "${PROFILE_LAUNCHES:-1}" --set full \
  --import-source yes -f -o "/tmp/ncu_$name" \
  "$bench" --no-ceilings --only "$case" \
  --json /dev/null --markdown /dev/null >"$out/ncu_run_$name.log" 2>&1
rc=$?
ncu --import "/tmp/ncu_$name.ncu-rep" --page details >"$out/ncu_$name.txt" 2>&1
ncu --import "/tmp/ncu_$name.ncu-rep" --page source --print-source sass --csv \
  >"$out/ncu_sass_$name.txt" 2>&1
grep -E "Duration|DRAM Throughput|Compute \(SM\) Throughput|Warp Cycles Per Issued|Issued Warp|No Eligible|Registers Per|Bank Conflicts|Tensor" \
  "$out/ncu_$name.txt" | head -16
exit $rc
