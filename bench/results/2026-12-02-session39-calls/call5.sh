#!/usr/bin/env bash
# Session 39 call 5 (~2 min): the benchmark's new gather read ceilings
# (bench/ceilings.cu: gather_read_kernel — 16-byte cp.async of 1,152-byte
# token rows in a shuffled order by 4..32 warps per SM, from DRAM and
# L2-resident) next to the page-size cells, on this tree.
# Run: OUT=$OUT bash bench/results/2026-12-02-session39-calls/call5.sh
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-$PWD/gpu-out}; mkdir -p "$OUT"
cutlass=$PWD/.deps/cutlass-pip/cutlass_library/source/include
cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DMLADEC_BUILD_TESTS=OFF \
  -DMLADEC_BUILD_TOOLS=OFF -DMLADEC_CUTLASS_DIR=$cutlass > "$OUT/configure.log" 2>&1 &&
  cmake --build build-gpu -j16 --target mladec_bench > "$OUT/build.log" 2>&1; echo "build rc=$?"
MLADEC_COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo worktree) \
  timeout 400 build-gpu/bench/mladec_bench --only 'page_size ' --json "$OUT/bench.json" \
  --markdown "$OUT/bench.md" > "$OUT/bench.log" 2>&1; echo "bench rc=$?"
grep -E "gather read|TMA read, bulk, 36|16-byte|copy" "$OUT/bench.log" | head -30
grep -E "^\| page_size" "$OUT/bench.md" | cut -c1-160
