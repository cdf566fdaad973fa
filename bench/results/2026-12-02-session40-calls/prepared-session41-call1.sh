#!/usr/bin/env bash
# Prepared in session 40 for the next session's first device call (~5 min;
# bench/NOTES.md v100, "Next device plan (after session 40)", item 1): block
# traces of main's owner-gathers kernel (the math warpgroups' new
# OwnerWaited / OwnerIssued events) at h_q 128, page 1 against page 64 and
# 16 (128x4096 shapes, batch 32), as session 39 call 2 traced v98's decode:
# does warpgroup 1 now wait on its own copies, or the producer on half B?
# Then Nsight Compute (full set, one launch) of page 1 h_q 128 in a normal
# build: the stall reasons at the gather's LDGSTS, which issue at ~4.5 bytes
# a cycle per warp (NOTES v99) — lg_throttle, long_scoreboard (the shuffled
# row addresses) or mio_throttle decide what could raise that rate.
#   run: OUT=$OUT bash bench/results/2026-12-02-session40-calls/prepared-session41-call1.sh
#        carry [".deps/cutlass-pip/cutlass_library/source/include"]
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-$PWD/gpu-out}; mkdir -p "$OUT"
cutlass=$PWD/.deps/cutlass-pip/cutlass_library/source/include
cmake -S . -B build-trace -G Ninja -DCMAKE_BUILD_TYPE=Release -DMLADEC_BLOCK_TRACE=ON \
  -DMLADEC_PTXAS_WERROR=OFF -DMLADEC_BUILD_TESTS=OFF -DMLADEC_CUTLASS_DIR=$cutlass \
  > /tmp/configure-trace.log 2>&1 &&
  cmake --build build-trace -j16 --target mladec_cli > /tmp/build-trace.log 2>&1
echo "build rc=$?"
run() {  # name flags...
  local name=$1; shift
  build-trace/tools/mladec run "$@" --repeats 1 --backend gpu > "$OUT/run-$name.txt" 2> /tmp/trace-$name.txt
  echo "run $name rc=$? $(grep -c '^trace' /tmp/trace-$name.txt) events"
  python3 scripts/block-trace-summary.py /tmp/trace-$name.txt --tensor > "$OUT/summary-$name.txt" 2>&1
}
run bf16-p64 --batch 32 --seqlen 4096 --heads 128
run bf16-p1 --batch 32 --seqlen 4096 --heads 128 --page-size 1
run bf16-p16 --batch 32 --seqlen 4096 --heads 128 --page-size 16
tar czf "$OUT/traces.tgz" -C /tmp trace-bf16-p64.txt trace-bf16-p1.txt trace-bf16-p16.txt
for n in bf16-p64 bf16-p1 bf16-p16; do
  echo "== $n"; grep -E "^CTA 0 role [012]|^CTA 0 tensor" -A7 "$OUT/summary-$n.txt" | cut -c1-110
done
# Nsight of the page 1 case (the benchmark's case name, as --list prints it).
cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DMLADEC_BUILD_TESTS=OFF \
  -DMLADEC_CUTLASS_DIR=$cutlass > /tmp/configure-gpu.log 2>&1 &&
  cmake --build build-gpu -j16 --target mladec_bench > /tmp/build-gpu.log 2>&1
echo "bench build rc=$?"
timeout 240 scripts/ncu-profile.sh build-gpu/bench/mladec_bench \
  'page_size 128x4096 s_q=1 h_q=128 page=1 fixed bf16' "$OUT"
echo "ncu rc=$?"
for csv in "$OUT"/ncu_sass_*.txt; do
  python3 scripts/ncu-stalls.py "$csv" --top 12 > "${csv%.txt}-stalls.md" 2>&1
  head -60 "${csv%.txt}-stalls.md" | cut -c1-160
done
