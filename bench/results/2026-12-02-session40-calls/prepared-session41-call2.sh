#!/usr/bin/env bash
# Prepared in session 40 (~7 min; bench/NOTES.md v100, "Next device plan
# (after session 40)", item 1): the two half-B sharing candidates
# (bench/candidates/peer-half-b*.patch) screened — matrix every 6th case,
# the screens, racecheck every 24th, then synccheck and racecheck over the
# sanitizer sweep's page-1 configurations — and timed against main, 2
# rounds, on page 1 h_q 128 (the changed kernel) and two controls.
#   here first: scripts/gpu-ab.sh --prepare-patched <main> peer=peer-half-b even=peer-half-b-even
#   run:  OUT=$OUT MAIN=<main> bash bench/results/2026-12-02-session40-calls/prepared-session41-call2.sh
#         carry [".deps/cutlass-pip/cutlass_library/source/include", "ab"]
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-$PWD/gpu-out}; mkdir -p "$OUT"
: "${MAIN:?MAIN=<the main commit the patches were applied to>}"
export MLADEC_CUTLASS_DIR=$PWD/.deps/cutlass-pip/cutlass_library/source/include
AB_CHECK=6 AB_CHECK_TREES='peer even' AB_RACECHECK=24 AB_TREES="$MAIN peer even" \
  AB_ONLY='page_size 128x4096 s_q=1 h_q=128 page=1 |page_size 128x4096 s_q=1 h_q=16 page=1 |page_size 128x4096 s_q=1 h_q=128 page=16' \
  BENCH_ARGS='' scripts/gpu-ab.sh 2 > "$OUT/ab-peer.txt" 2>&1
cp "$OUT/ab_table.md" "$OUT/ab-peer-table.md"
grep -E "^builds|^build |^check " "$OUT/ab-peer.txt" | cut -c1-400
grep -o "RACECHECK SUMMARY[^)]*)" "$OUT/ab-peer.txt"
cut -c1-200 "$OUT/ab-peer-table.md"
for tree in peer even; do
  cmake --build "build-ab/$tree" -j16 --target sanitizer_sweep_gpu_test > /tmp/sweep-build-$tree.log 2>&1 ||
    { echo "sweep build $tree failed"; continue; }
  (cd "ab/$tree" && scripts/sanitizer-sweep.sh --tools synccheck,racecheck --filter '*_p1_*' \
     --jobs 8 --build-dir "$PWD/../../build-ab/$tree" --out "/tmp/sweep-$tree") > "$OUT/sweep-$tree.txt" 2>&1
  echo "sweep $tree rc=$?"; tail -6 "$OUT/sweep-$tree.txt"
done
