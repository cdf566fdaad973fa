// Block cuts: while worker shares are below block_cut_share_tokens, Balanced
// cuts fall on a power-of-two fraction of a KV block instead of on
// split_align_tokens (KernelConfig; bench/NOTES.md v67), so that a piece
// does not pay for a block it only starts in; larger shares plan as before.
#include <gtest/gtest.h>

#include <sstream>
#include <vector>

#include "mladec/config.h"
#include "mladec/plan.h"
#include "tests/support/lengths_case.h"
#include "tests/support/plan_sweep.h"
#include "tests/support/plan_workers.h"

namespace mladec::test {
namespace {

constexpr int kWorkers = 132;  // an H200's SMs
constexpr int kBlock = KernelConfig{}.kv_block_tokens;

KernelConfig without_block_cuts(KernelConfig config) {
  config.block_cut_share_tokens = 0;
  return config;
}

// Whether every piece starts and ends on a multiple of `align` or at its
// unit's end.
bool cuts_on(const HostPlan& plan, int align) {
  for (int i = 0; i < plan.header().num_pieces; ++i) {
    const PlanPiece& piece = plan.pieces()[i];
    const bool unit_end = piece.kv_end == plan.units()[piece.unit].kv_len;
    if (piece.kv_begin % align != 0 || (!unit_end && piece.kv_end % align != 0)) return false;
  }
  return true;
}

// Plans `c` with select_config()'s config, on block cuts: every cut falls on
// a block and the busiest worker walks `max_blocks`; and without them: some
// cut does not, and it walks `max_blocks_without`. Returns the first plan.
HostPlan expect_block_cuts(const LengthsCase& c, int64_t max_blocks,
                           int64_t max_blocks_without) {
  const KernelConfig config = select_config(c.problem);
  HostPlan plan = make_host_plan(c.problem, config, kWorkers, c.lengths());
  validate_plan(c.problem, config, plan.layout, c.lengths(), plan.buffer.data());
  EXPECT_TRUE(cuts_on(plan, kBlock));
  EXPECT_EQ(max_worker_blocks(plan), max_blocks);
  const HostPlan before =
      make_host_plan(c.problem, without_block_cuts(config), kWorkers, c.lengths());
  EXPECT_FALSE(cuts_on(before, kBlock));
  EXPECT_EQ(max_worker_blocks(before), max_blocks_without);
  return plan;
}

TEST(PlanBlockCuts, SixtyFourTokenSharesTakeWholeBlocks) {
  // 1×4096 h_q 16 on 66 workers: shares of ~64 tokens. At 8-token cuts 51
  // of its 64 pieces touched two blocks; on block cuts each is one block.
  const HostPlan plan = expect_block_cuts(fixed_lengths_case(1, 16, 1, 4096), 1, 2);
  EXPECT_EQ(total_piece_blocks(plan), 4096 / kBlock);
}

TEST(PlanBlockCuts, TwoBlockSharesCutOnBlocks) {
  // 1×4096 h_q 128: two 64-row units on 66 workers, ~129 tokens each. At
  // 8-token cuts the busiest worker walked three blocks; on block cuts two.
  expect_block_cuts(fixed_lengths_case(1, 128, 1, 4096), 2, 3);
}

// Every shape and worker count: the plan is valid; where the rule changes
// it, no worker walks more blocks than without it, nor all workers
// together; and shares of at least block_cut_share tokens plan exactly as
// without it.
TEST(PlanBlockCuts, SweepOfShapes) {
  int changed = 0, large_unchanged = 0;
  std::ostringstream failures;
  for_each_swept_shape(without_block_cuts, [&](const SweptShape& s) {
    const HostPlan& before = s.variant;
    std::ostringstream shape;
    shape << s.describe() << ": max blocks per worker " << max_worker_blocks(s.plan)
          << " (" << max_worker_blocks(before) << " without), blocks "
          << total_piece_blocks(s.plan) << " (" << total_piece_blocks(before)
          << ")";
    // The planner's cost line: every unit's 8-rounded tokens plus an
    // overhead; no plan uses more than `workers` workers.
    const KernelConfig& config = s.config;
    const int64_t units =
        int64_t(s.batch) * ((s.num_heads + config.tile_rows - 1) / config.tile_rows);
    const int64_t total =
        units * ((s.kv_len + config.split_align_tokens - 1) / config.split_align_tokens *
                     config.split_align_tokens +
                 config.split_overhead_tokens);
    if (total / s.workers >= config.block_cut_share_tokens) {
      if (s.plan.buffer != before.buffer) failures << shape.str() << ", plans differ";
      ++large_unchanged;
    } else if (s.plan.buffer != before.buffer) {
      ++changed;
      if (max_worker_blocks(s.plan) > max_worker_blocks(before) ||
          total_piece_blocks(s.plan) > total_piece_blocks(before)) {
        failures << shape.str();
      }
    }
  });
  EXPECT_TRUE(failures.str().empty()) << failures.str();
  EXPECT_GT(changed, 30);           // the rule acts on many small shapes...
  EXPECT_GT(large_unchanged, 100);  // ...and leaves the large ones alone
}

}  // namespace
}  // namespace mladec::test
