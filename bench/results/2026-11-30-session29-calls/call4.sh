#!/usr/bin/env bash
# Session 29 call 4: main with row-softmax-whole-blocks, mended (a masked block scales its visible
# scores before the maxima, as main does: -inf times a factor of 0 was NaN in call 3's query-range
# test), applied in the working tree: smoke, GPU tests, benchmark, sanitizers (no sweep: the
# device budget left does not hold it).
set -u
export MLADEC_CUTLASS_DIR=$PWD/.deps/cutlass-pip/cutlass_library/source/include
nvidia-smi --query-gpu=name,clocks.sm,clocks.max.sm,temperature.gpu --format=csv,noheader
MLADEC_COMMIT=${MLADEC_COMMIT} OUT=$OUT timeout 370 scripts/gpu-check.sh smoke tests bench sanitize 2>&1 | tail -30
