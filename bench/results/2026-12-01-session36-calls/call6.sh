#!/usr/bin/env bash
# Session 36 call 6 (~3 min): block traces of the 64-row form at h_q 128
# (where the refill latency goes after calls 4-5: not L2 bandwidth; the
# math alone takes 447 us of main's 511 at 128x8192):
#   main bf16 page 64, main bf16 page 1, main e4m3, and the `nokv` tree
#   (bench/candidates/diag-no-kv-reads.patch: no KV reads, the math alone).
# Trace builds (-DMLADEC_BLOCK_TRACE=ON; the traced build spills a few
# bytes, so the spill guard is off) of main (ab/8d7ed8e) and ab/nokv.
# Run: OUT=$OUT bash bench/results/2026-12-01-session36-calls/call6.sh
# (carry ab/ and the CUTLASS include folder).
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-$PWD/gpu-out}; mkdir -p "$OUT"
cutlass=$PWD/.deps/cutlass-pip/cutlass_library/source/include
for t in 8d7ed8e nokv; do
  (cmake -S ab/$t -B build-trace-$t -G Ninja -DCMAKE_BUILD_TYPE=Release -DMLADEC_BLOCK_TRACE=ON \
     -DMLADEC_PTXAS_WERROR=OFF -DMLADEC_CUTLASS_DIR=$cutlass > /tmp/configure-$t.log 2>&1 &&
   cmake --build build-trace-$t -j8 --target mladec_cli > /tmp/build-$t.log 2>&1; echo "build $t rc=$?") &
done
wait
run() {  # name tree flags...
  local name=$1 tree=$2; shift 2
  build-trace-$tree/tools/mladec run "$@" --repeats 1 --backend gpu > "$OUT/run-$name.txt" 2> /tmp/trace-$name.txt
  echo "run $name rc=$? $(grep -c '^trace' /tmp/trace-$name.txt) events"
  python3 scripts/block-trace-summary.py /tmp/trace-$name.txt --tensor > "$OUT/summary-$name.txt" 2>&1
}
run bf16-p64 8d7ed8e --batch 32 --seqlen 8192 --heads 128
run nokv-p64 nokv --batch 32 --seqlen 8192 --heads 128
run bf16-p1 8d7ed8e --batch 32 --seqlen 4096 --heads 128 --page-size 1
run e4m3-p64 8d7ed8e --batch 32 --seqlen 8192 --heads 128 --dtype fp8_e4m3
tar czf "$OUT/traces.tgz" -C /tmp trace-bf16-p64.txt trace-nokv-p64.txt trace-bf16-p1.txt trace-e4m3-p64.txt
for n in bf16-p64 nokv-p64 bf16-p1 e4m3-p64; do
  echo "== $n"; grep -E "^CTA 0 role [12]|^CTA 0 tensor" -A5 "$OUT/summary-$n.txt" | cut -c1-110
done
