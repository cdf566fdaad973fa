#!/usr/bin/env bash
# Prepared in session 43 for the next session's first device call (~8 min;
# bench/NOTES.md v103, "Next device plan (after session 43)", item 1): the
# GPU tests, sanitizers and sweep on main. Session 43's last GPU check ran
# on c71f7dc; since then main changed host code the GPU tests cover and
# have not run: the batch-invariance test's form assertions (6356c85: a lone
# s_q 2 h_q 128 request combines in four-warp rows), decode()'s kernel-form
# check with its bad-input test ConfigOfAnotherKernelForm, and the
# blockwise 32-row kernel no longer built (f33b21a; every other kernel's
# SASS identical to c71f7dc's). No benchmark: the decode kernels did not
# change.
#   run: MLADEC_COMMIT=<main, a literal hash> OUT=$OUT \
#          bash bench/results/2026-12-02-session43-calls/prepared-session44-call1.sh
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-$PWD/gpu-out}; mkdir -p "$OUT"
scripts/gpu-check.sh smoke tests sanitize sweep
