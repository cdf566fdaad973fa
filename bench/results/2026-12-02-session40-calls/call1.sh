#!/usr/bin/env bash
# Prepared in session 39 for the next session's first device call (~9 min;
# bench/NOTES.md v99, "Next device plan (after session 39)", item 0): the
# full GPU check of bench/candidates/owner-gathers-half-a.patch on main.
#   here first:  scripts/gpu-ab.sh --prepare-patched <main> owner=owner-gathers-half-a
#                (ab/owner is main with the patch applied; the branch
#                next/owner-gathers, if this checkout has it, holds the same
#                sources on 4ba42bb)
#   then:        OUT=$OUT MAIN=<main> bash bench/results/2026-12-02-session39-calls/prepared-session40-call1.sh
#                with carry [".deps/cutlass-pip/cutlass_library/source/include", "ab"]
# Merge if every GPU test, memcheck, racecheck, checked mode and the sweep
# are clean: apply the patch to main (patch -p1), commit, and record the
# benchmark (it is in the check's output) as v100.
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-$PWD/gpu-out}; mkdir -p "$OUT"
: "${MAIN:?MAIN=<the main commit the patch was applied to in ab/owner>}"
export MLADEC_CUTLASS_DIR=$PWD/.deps/cutlass-pip/cutlass_library/source/include
(cd ab/owner && MLADEC_COMMIT="$MAIN+owner-gathers-half-a" OUT="$OUT" \
   scripts/gpu-check.sh smoke tests bench sanitize sweep) > "$OUT/check-owner.txt" 2>&1
echo "check rc=$?"
tail -45 "$OUT/check-owner.txt" | cut -c1-220
