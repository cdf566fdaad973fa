#!/usr/bin/env bash
# Session 39 call 2 (~3 min): block traces of main cd30568 with half-B trace events (ab/trace) at
# h_q 128, page 1 against page 64 (128x4096 shapes, batch 32): where page 1's
# 1.49x of page 64 goes since the halves and the arrivals-when-landed (v98).
# Run: OUT=$OUT bash bench/results/2026-12-02-session39-calls/call2.sh
# (carry ab/ and the CUTLASS include folder).
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-$PWD/gpu-out}; mkdir -p "$OUT"
cutlass=$PWD/.deps/cutlass-pip/cutlass_library/source/include
t=trace
cmake -S ab/$t -B build-trace-$t -G Ninja -DCMAKE_BUILD_TYPE=Release -DMLADEC_BLOCK_TRACE=ON \
  -DMLADEC_PTXAS_WERROR=OFF -DMLADEC_CUTLASS_DIR=$cutlass > /tmp/configure-$t.log 2>&1 &&
  cmake --build build-trace-$t -j16 --target mladec_cli > /tmp/build-$t.log 2>&1; echo "build $t rc=$?"
run() {  # name flags...
  local name=$1; shift
  build-trace-$t/tools/mladec run "$@" --repeats 1 --backend gpu > "$OUT/run-$name.txt" 2> /tmp/trace-$name.txt
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
