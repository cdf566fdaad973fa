#!/usr/bin/env bash
# Session 31 call 9: the benchmark of record (v84) on 0d22b3b (decode as 5aca4ff, checked in full in
# call 8), with the default protocol (three untimed runs before each timing).
export MLADEC_CUTLASS_DIR=$PWD/.deps/cutlass-pip/cutlass_library/source/include
MLADEC_COMMIT=0d22b3b scripts/gpu-check.sh bench
