#!/usr/bin/env bash
# Session 29 call 3: the full GPU check of main with row-softmax-whole-blocks applied in the working tree.
set -u
export MLADEC_CUTLASS_DIR=$PWD/.deps/cutlass-pip/cutlass_library/source/include
nvidia-smi --query-gpu=name,clocks.sm,clocks.max.sm,temperature.gpu --format=csv,noheader
MLADEC_COMMIT=${MLADEC_COMMIT} OUT=$OUT timeout 570 scripts/gpu-check.sh smoke tests bench sanitize sweep 2>&1 | tail -60
