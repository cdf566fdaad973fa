#!/usr/bin/env bash
# Session 31 call 8: the full check of main 5aca4ff (first-page-early for bf16; the benchmark's
# 25 ms warm-up), its benchmark the new one of record.
export MLADEC_CUTLASS_DIR=$PWD/.deps/cutlass-pip/cutlass_library/source/include
MLADEC_COMMIT=5aca4ff scripts/gpu-check.sh smoke tests bench sanitize sweep
