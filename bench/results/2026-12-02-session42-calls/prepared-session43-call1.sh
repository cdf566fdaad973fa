#!/usr/bin/env bash
# Prepared in session 42 for the next session's first device call (~4 min;
# bench/NOTES.md v102, "Next device plan (after session 42)", item 1):
# Nsight Compute (full set, one launch) of the 32-row bf16 kernel at
# 128x8192 h_q 32 fixed, the 16-row kernel (gathering) at 128x8192 h_q 16
# fixed beside it, and the 32-row kernel with diag-no-kv-reads-32 (its
# math alone, wrong results by design): DRAM throughput, shared-memory
# traffic (TMA writes + wgmma reads) and the math warps' stalls — is the
# 32-row form at its copy floor with two 72 KB buffers (then: more bytes
# in flight), or is the math's 2 µs chain per block the thing to pipeline?
# Then (~1 min) the split Sᵀ (transposed-32-split-scores, neutral on TMA
# blocks in session 42 call 5) with every 32-row block gathered
# (scripts/bench-variants.sh, "gathered:MLADEC_KV_TMA=0"): a shorter hold
# may pay where the gather's ceiling rises with bytes in flight (4.29 →
# 4.43 TB/s from 72 to 144 KiB, v102) and TMA's does not (4.11–4.19).
#   here first: scripts/gpu-ab.sh --prepare-patched <main> diag32=diag-no-kv-reads-32 \
#                 split32=transposed-32-split-scores
#   run: OUT=$OUT MAIN=<main> bash bench/results/2026-12-02-session42-calls/prepared-session43-call1.sh
#        carry ["ab"]
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-$PWD/gpu-out}; mkdir -p "$OUT"
: "${MAIN:?MAIN=<the main commit the diagnostic was applied to>}"
for tree in "$MAIN" diag32 split32; do
  cmake -S "ab/$tree" -B "build-ab/$tree" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DMLADEC_BUILD_TESTS=OFF > "/tmp/configure-$tree.log" 2>&1 &&
    cmake --build "build-ab/$tree" -j16 --target mladec_bench > "/tmp/build-$tree.log" 2>&1
  echo "build $tree rc=$?"
done
profile() {  # tree case prefix
  timeout 150 scripts/ncu-profile.sh "build-ab/$1/bench/mladec_bench" "$2" "$OUT" "$3"
  echo "ncu $3 rc=$?"
}
profile "$MAIN" 'large 128x8192 s_q=1 h_q=32 page=64 fixed bf16' main32_
profile "$MAIN" 'large 128x8192 s_q=1 h_q=16 page=64 fixed bf16' main16_
profile diag32 'large 128x8192 s_q=1 h_q=32 page=64 fixed bf16' diag32_
for csv in "$OUT"/ncu_sass_*.txt; do
  python3 scripts/ncu-stalls.py "$csv" --top 12 > "${csv%.txt}-stalls.md" 2>&1
  echo "== $csv"; head -40 "${csv%.txt}-stalls.md" | cut -c1-160
done
BENCH="build-ab/split32/bench/mladec_bench" scripts/bench-variants.sh "$OUT/split32-gathered" 2 \
  "default:" "gathered:MLADEC_KV_TMA=0" -- --no-ceilings --filter large \
  --only 's_q=1 h_q=32 ' | tee "$OUT/split32-gathered-table.md"
