#pragma once
#include "mladec/kv_format.h"
#include "mladec/problem.h"

namespace mladec {

// The single description of how a problem is run. select_config() is the only
// place it is derived; the planner, plan_layout() and the kernel launch all
// take this value instead of re-deriving anything from the head count. Its
// integer planner knobs are also listed in src/core/config_knobs.h, which
// gives each its valid range, Python attribute and A/B flag: a new knob
// goes there too. A caller may change those knobs and the policy fields
// (fixed_chunk_tokens, concurrent_tiles), never the kernel form —
// tile_rows, fp8_compute, blockwise_products: decode() refuses a config
// whose form differs from select_config()'s (kBadConfig).
struct KernelConfig {
  int tile_rows = 64;               // query rows per tile: 64 (wgmma M), or 16 / 32
                                    // when h_q*max_q_len fits (wgmma N, transposed;
                                    // 32 for bf16 caches only)
  int kv_block_tokens = 64;         // KV tokens per kernel iteration
  int split_align_tokens = 8;       // Balanced splits fall on multiples of this
  // Planner cost of starting a piece (loading Q, writing the result): 160
  // took a median 2% off the varlen cells and 0.8% off the small batches
  // against 32, the fixed lengths unchanged (bench/NOTES.md v60, v62).
  int split_overhead_tokens = 160;
  // The same cost where the plan's units differ in cost (variable lengths),
  // used to place the cuts: workers there get unequal numbers of pieces, so
  // the cost of a piece decides the balance. select_config() sets it per
  // tile form and cache format from step timelines and A/Bs on the large
  // varlen cells (bench/NOTES.md v92: a 64-row piece costs ~280-330
  // tokens; 320 took 0-1.5% off those cells, 256 0.3-1.9% off the 32-row
  // ones, bf16's 16-row ones keep 160; v95: fp8 16-row tiles take 256,
  // blockwise 64-row tiles 160). Plans of equal-cost units never read it:
  // their workers get alike piece counts, and the worker counts and
  // small-step rules above were measured with split_overhead_tokens.
  int varlen_split_overhead_tokens = 160;
  // What splitting a unit costs the step beyond its tokens (float32
  // partials, the combine, one more piece), in tokens of one worker's time:
  // fixed-length steps leave up to 1/32 of the workers idle when that gives
  // every worker whole units and adds at most this much to each (measured
  // on the H200: bench/NOTES.md v58).
  int split_cost_tokens = 640;
  int min_worker_share_tokens = 128;  // fewer workers below this cost each
  // ...except that a step too small to fill half the workers at that share
  // (small_step_workers_percent) takes up to half of them with shares down
  // to this cost: its time is the chain of one worker's blocks plus the
  // combine, and the combine's round trips grow with the splits. Measured on the H200 over the small
  // batches (bench/NOTES.md v65): the best worker count was 37–74 of 132
  // in every cell that min_worker_share left below 66 (1×1024 h_q 16:
  // 9 workers 13.4 µs, 37 workers 10.3 µs), while every cell pushed to all
  // 132 got slower (1×4096 h_q 128: 20.3 → 22.1 µs). One KV block (64)
  // rather than half of one (32) since v94, with the combine of 45b55cc:
  // 1×1024 h_q 16 on 16 workers 9.4 µs against 32's 9.7, h_q 128 14.8
  // against 15.3, no other benchmark cell's plan changed.
  int small_step_share_tokens = 64;
  // "Half the workers" above, in percent of them (1..100).
  int small_step_workers_percent = 50;
  // While the worker share (planner cost per worker) is below this many
  // tokens, Balanced cuts fall on a power-of-two fraction of a KV block —
  // kv_block_tokens halved while it exceeds 4/3 of the share, down to
  // split_align_tokens — instead of on split_align_tokens. The kernel
  // walks whole blocks: a piece that starts or ends inside a block pays for
  // all of it, so 8-token cuts cost a short step a block on its busiest
  // worker (1×4096 h_q 16: 62-token pieces, most touching two blocks;
  // 64-token cuts touch one). Measured on the H200 over the small batches
  // against off: 256 took 0.3–2.5 µs off six cells, 512 off four more,
  // none slower (bench/NOTES.md v67); 1024 took 2.8% off 32×1024 h_q 128
  // and 1.9% off 4×32768 h_q 16 against 512, none slower (v94). 0: off.
  int block_cut_share_tokens = 1024;
  int fixed_chunk_tokens = 2048;    // FixedChunk split size
  // Balanced, uniform s_q, several tiles per request: the tiles of a request
  // go to different workers that walk the same KV ranges at the same time,
  // so the L2 serves the KV once for all of them (instead of each tile
  // re-reading it from DRAM later on the same worker).
  bool concurrent_tiles = true;
  // Blockwise caches: how the kernel applies the group scales (kv_format.h);
  // the reference computes on the same values. kExact for 16-row tiles.
  BlockwiseProducts blockwise_products = BlockwiseProducts::kRoundedToBf16;
  // The fp8-compute form runs (DecodeProblem::fp8_compute at 64-row tiles):
  // the reference then quantizes Q as the kernel does.
  bool fp8_compute = false;
};

// Validates the problem (throws mladec::Error) and returns its configuration.
KernelConfig select_config(const DecodeProblem& problem);


}  // namespace mladec
