#!/usr/bin/env bash
# Prepared in session 30 for session 31's first device call (~350 s on a fresh machine):
# (a) the step split of the memory-bound bf16 cells (s_k 4096 and 8192) three ways, 3 rounds
#     alternating: as benchmarked (shuffled pages, TMA), --pages-in-order (each request on
#     consecutive pages, as FlashMLA's test scripts build them), and the cp.async gather path
#     (MLADEC_KV_TMA=0); each bench markdown's "step split" section gives the fixed part and the
#     marginal rate (bench/NOTES.md v83: TMA boxes top out at 4.15-4.25 TB/s in the read ring,
#     16-byte loads 4.6; FlashMLA, with our copy form, 4.38-4.65);
# (b) the read ceilings once, with 64-byte-row boxes (bf16 under the 64-byte swizzle; the e4m3
#     register-A path's own boxes, which stream at 4.6-4.8 TB/s in the decode);
# (c) step timelines (trace build) with the decode CTAs' SMs: twice 128x8192 h_q 16 (whether the
#     ~20 us spread of equal-work CTAs sits on the same SMs), 128x4096 h_q 16 and h_q 128, and
#     e4m3 128x4096 h_q 16 (fixed part 24-33 us).
set -u
export MLADEC_CUTLASS_DIR=$PWD/.deps/cutlass-pip/cutlass_library/source/include
nvidia-smi --query-gpu=name,clocks.sm,clocks.max.sm,temperature.gpu --format=csv,noheader
cfg() { cmake -S . -B "$1" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMLADEC_BUILD_TESTS=OFF \
          -DMLADEC_CUTLASS_DIR=$MLADEC_CUTLASS_DIR "${@:2}" >/dev/null; }
cfg build-n && timeout 150 cmake --build build-n -j16 --target mladec_bench >$OUT/build-n.log 2>&1 ||
  { tail -20 $OUT/build-n.log; exit 1; }
mkdir -p $OUT/split
for r in 1 2 3; do
  for variant in shuffled in-order gather; do
    for cell in 's_q=1 h_q=16 page=64 fixed' 's_q=1 h_q=32 page=64 fixed' 's_q=1 h_q=128 page=64 fixed'; do
      tag=r$r-$variant-$(echo "$cell" | cut -d' ' -f2)
      flags=(); tma=1
      [ $variant = in-order ] && flags=(--pages-in-order)
      [ $variant = gather ] && tma=0
      MLADEC_KV_TMA=$tma timeout 60 build-n/bench/mladec_bench --no-ceilings --filter large \
        --only "$cell" "${flags[@]}" --json $OUT/split/$tag.json --markdown $OUT/split/$tag.md \
        >/dev/null 2>&1
      echo "$tag: $(grep -A4 '^## step split' $OUT/split/$tag.md | tail -1)"
    done
  done
done
# (b) the read ceilings once, with the narrower-row forms (64-byte boxes: bf16 under the 64-byte
#     swizzle, and the e4m3 path's own); the decode case only carries them.
timeout 90 build-n/bench/mladec_bench --filter page_size --only 'h_q=16 page=16 fixed' \
  --json $OUT/ceilings.json --markdown $OUT/ceilings.md 2>&1 | grep 'TMA read\|16-byte'
cfg build-tl -DMLADEC_BLOCK_TRACE=ON && timeout 200 cmake --build build-tl -j16 --target mladec_cli \
  >$OUT/build-tl.log 2>&1 || { tail -20 $OUT/build-tl.log; exit 1; }
# label:seqlen:heads:dtype — two 128x8192 h_q 16 runs (is the slow-SM set stable?), 128x4096
# h_q 16 and h_q 128 (fixed part 33 us against FlashMLA's), and e4m3 128x4096 h_q 16, whose
# fixed part is 24-33 us in every benchmark v70-v83 at a marginal 4.6-4.8 TB/s (NOTES v83).
for run in a:8192:16:bf16 b:8192:16:bf16 c:4096:16:bf16 d:4096:128:bf16 e:4096:16:fp8_e4m3; do
  IFS=: read -r label seqlen heads dtype <<<"$run"
  MLADEC_STEP_TIMELINE=50 timeout 120 build-tl/tools/mladec run --batch 128 --heads $heads \
    --seqlen $seqlen --dtype $dtype --backend gpu --repeats 5 2> $OUT/tl-$label.txt | tail -2
  python3 scripts/step-timeline-summary.py $OUT/tl-$label.txt | tail -4
done
