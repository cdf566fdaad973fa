#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "bench/sm_clock.h"
#include "mladec/problem.h"
#include "src/core/config_knobs.h"

namespace mladec::bench {

// How the decodes are issued: replays of a captured graph (the normal
// case), or back-to-back eager decode() calls, as an engine's step loop
// issues them — unchecked or in checked mode (where decode() returns once
// the checks' verdict is back).
enum class BenchMode { kGraph, kEager, kEagerChecked };

struct BenchCase {
  std::string group;  // "large", "fp8", "fp8_compute", "page_size", "small_batch", "checked"
  int batch, seqlen, q_len, heads, page_size;
  bool varlen;
  KvDtype kv_dtype = KvDtype::kBf16;
  double flashmla_us = 0;  // FlashMLA's time for the same cell, 0 if none
  BenchMode mode = BenchMode::kGraph;
  // Every request reads the same pages (one request's KV, which the L2
  // holds): the time is the kernel's own per-block cost without DRAM, a
  // diagnostic, not a serving case (its TB/s counts bytes read from L2).
  bool kv_in_l2 = false;
  // KernelConfig::concurrent_tiles as select_config() sets it, or off (an
  // A/B of the planner's concurrent tiles in one run).
  bool concurrent_tiles = true;
  // Planner A/Bs (diagnostic, bench flags --workers / --fixed-chunk): plan
  // for this many workers instead of the GPU's SM count (0: the SM count),
  // and the FixedChunk policy with chunks of this many tokens (0: Balanced).
  int workers = 0;
  int fixed_chunk_tokens = 0;
  // The planner knobs (src/core/config_knobs.h) instead of
  // select_config()'s, in kConfigKnobs' order (bench flags --split-cost,
  // --min-share, ...; -1: keep).
  detail::ConfigKnobValues config_knobs = detail::unset_config_knobs();
  // DecodeProblem::fp8_compute (the opt-in e4m3-product mode).
  bool fp8_compute = false;
  // Each request's pages one after another in the pool (a block table of
  // consecutive page numbers, as FlashMLA's test scripts mostly build it)
  // instead of the shuffled pool: an A/B of the pages' memory order (bench
  // flag --pages-in-order).
  bool pages_in_order = false;
  // Diagnostic (bench flag --placements N): the case's buffers allocated
  // while a spacer of `placement` × kPlacementSpacerBytes is held, so that
  // they land on other physical memory — repeats of one case in one process
  // at different placements, to tell a placement effect from a per-process
  // one (the 128-row cells' modes: bench/NOTES.md v99, v102).
  int placement = 0;
};

// The spacer step of BenchCase::placement: 160 MiB, five 32 MiB steps, so
// that successive placements shift the buffers by an odd number of them.
inline constexpr size_t kPlacementSpacerBytes = size_t(160) << 20;

struct BenchResult {
  double us = 0;       // median time of one decode step (decode + combine)
  double bytes = 0;    // KV bytes read once + q + out + lse
  double flops = 0;    // 2176 · rows · visible tokens
  int copies = 0;      // distinct KV copies rotated to defeat the L2
  int steps = 0;       // decode steps per timing: whole passes over the copies
  double sm_mhz = 0;   // the SM clock right after the timing (bench/sm_clock.h)
  ClockSettle settle;  // the wait before the timing (--settle-ms; zero without)
};

// The least time one graph timing covers (mladec_bench --min-timing-ms;
// default 0.5 ms): whole passes over the KV copies back to back, as in
// DESIGN §8's "events around many back-to-back calls", so that the launch
// from an idle GPU (2.5-3 µs, bench/NOTES.md v88) is at most ~0.6% of a
// timing. Not longer: a step of 0.5 ms or more (the compute-bound cells)
// still times alone, and with 1 ms timings the power cap lowered the clock
// in more cells (+4..+12% in some, v88). 0: one pass, the protocol until
// v87 (a single step for the large cases, whose one KV copy exceeds 512 MB).
inline double& min_timing_seconds() {
  static double seconds = 0.5e-3;
  return seconds;
}

// The KV lengths of the case's requests: s_k each, or for varlen a draw
// ~ N(s_k, s_k/2) clipped to [s_q, 3 s_k], seeded by the case's shape.
std::vector<int32_t> case_seqlens(const BenchCase& bench_case);

// Builds the case on the device (random bf16 data, pages scattered), plans
// once, and returns the median per-decode time over 15 graph replays of
// back-to-back decodes over `copies` KV copies, or in the eager modes over
// 15 loops of `copies` back-to-back decode() calls.
BenchResult time_decode(const BenchCase& bench_case);

// Checked mode's cost for an eager case: unchecked and checked loops
// alternate on the same data (15 rounds after 3 warm-up rounds); each
// result is its median loop, `cost` the median of the rounds' checked /
// unchecked ratios, minus 1.
struct CheckedPair {
  BenchResult unchecked, checked;
  double cost = 0;
};
CheckedPair time_checked_pair(const BenchCase& bench_case);

}  // namespace mladec::bench
