#!/usr/bin/env bash
# Session 29 call 1: the full GPU check of main (1100221) — first run of the read ceilings.
set -u
export MLADEC_CUTLASS_DIR=$PWD/.deps/cutlass-pip/cutlass_library/source/include
nvidia-smi --query-gpu=name,clocks.sm,clocks.max.sm,temperature.gpu --format=csv,noheader
MLADEC_COMMIT=${MLADEC_COMMIT} OUT=$OUT timeout 570 scripts/gpu-check.sh smoke tests bench sanitize sweep 2>&1 | tail -60
