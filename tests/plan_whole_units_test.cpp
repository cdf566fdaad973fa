// Fixed-length steps: the Balanced planner leaves up to workers / 32 workers
// idle when the rest can each take whole units, which removes every split
// (KernelConfig::split_cost_tokens; bench/NOTES.md v58), and only then.
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <vector>

#include "mladec/config.h"
#include "mladec/plan.h"
#include "mladec/random_inputs.h"
#include "tests/support/lengths_case.h"
#include "tests/support/plan_workers.h"

namespace mladec::test {
namespace {

constexpr int kWorkers = 132;  // an H200's SMs

int64_t max_worker_cost(const HostPlan& plan) {
  const PlanBalance balance = plan_balance(plan.config, plan);
  return *std::max_element(balance.worker_cost.begin(), balance.worker_cost.end());
}

TEST(PlanWholeUnits, DeepSeekTp1UsesWholeUnits) {
  // 128 requests x 2 tiles of 64 rows: 128 workers take two whole units each.
  for (int kv_len : {4096, 8192}) {
    const LengthsCase c = fixed_lengths_case(128, 128, 1, kv_len);
    const KernelConfig config = select_config(c.problem);
    const HostPlan plan = make_host_plan(c.problem, config, kWorkers, c.lengths());
    EXPECT_EQ(plan.header().num_split_slots, 0) << kv_len;
    EXPECT_EQ(plan.header().num_combine, 0) << kv_len;
    EXPECT_EQ(plan.header().num_pieces, 256) << kv_len;
    EXPECT_EQ(busy_workers(plan), 128) << kv_len;
    for (int w = 0; w < 128; ++w) {
      ASSERT_EQ(plan.worker_piece_begin()[w + 1] - plan.worker_piece_begin()[w], 2)
          << "worker " << w;
    }
    // Tile-major: worker 64 + v walks tile 1 of the requests worker v walks.
    for (int v = 0; v < 64; ++v) {
      const PlanPiece& first = plan.pieces()[plan.worker_piece_begin()[v]];
      const PlanPiece& other = plan.pieces()[plan.worker_piece_begin()[64 + v]];
      EXPECT_EQ(plan.units()[first.unit].request, plan.units()[other.unit].request);
      EXPECT_EQ(plan.units()[first.unit].row_begin, 0);
      EXPECT_EQ(plan.units()[other.unit].row_begin, 64);
    }
    validate_plan(c.problem, config, plan.layout, c.lengths(), plan.buffer.data());
  }
}

TEST(PlanWholeUnits, SplitCostBoundsTheAddedWork) {
  // 512 units of 8192 tokens: 128 workers would add about 1,000 tokens to
  // each (4 units against 3.88), more than the 640 a split costs: Balanced.
  const LengthsCase c = fixed_lengths_case(128, 128, 2, 8192);
  const KernelConfig config = select_config(c.problem);
  ASSERT_EQ(config.split_cost_tokens, 640);
  const int64_t unit_cost = 8192 + config.split_overhead_tokens;
  const int64_t added = 4 * unit_cost - 512 * unit_cost / kWorkers;
  ASSERT_GT(added, config.split_cost_tokens);
  const HostPlan plan = make_host_plan(c.problem, config, kWorkers, c.lengths());
  EXPECT_EQ(busy_workers(plan), kWorkers);
  EXPECT_GT(plan.header().num_split_slots, 0);
  // With a split dearer than that, the same step takes whole units.
  KernelConfig dearer = config;
  dearer.split_cost_tokens = int(added) + 1;
  const HostPlan whole = make_host_plan(c.problem, dearer, kWorkers, c.lengths());
  EXPECT_EQ(busy_workers(whole), 128);
  EXPECT_EQ(whole.header().num_split_slots, 0);
}

TEST(PlanWholeUnits, ZeroSplitCostKeepsBalanced) {
  const LengthsCase c = fixed_lengths_case(128, 128, 1, 4096);
  KernelConfig config = select_config(c.problem);
  config.split_cost_tokens = 0;
  const HostPlan plan = make_host_plan(c.problem, config, kWorkers, c.lengths());
  EXPECT_EQ(busy_workers(plan), kWorkers);
  EXPECT_GT(plan.header().num_split_slots, 0);
}

TEST(PlanWholeUnits, NeverIdlesMoreThanOneWorkerIn32) {
  // 64 units on 132 workers: whole units would idle 68; Balanced splits.
  const LengthsCase c = fixed_lengths_case(64, 16, 1, 16384);
  const KernelConfig config = select_config(c.problem);
  const HostPlan plan = make_host_plan(c.problem, config, kWorkers, c.lengths());
  EXPECT_EQ(busy_workers(plan), kWorkers);
}

TEST(PlanWholeUnits, VariableLengthsKeepEveryWorker) {
  const LengthsCase c = make_lengths_case(
      128, 64, random_varlen(128, 4096, 1, 3 * 4096, 17), std::vector<int32_t>(128, 1),
      false, SchedulePolicy::kBalanced);
  const KernelConfig config = select_config(c.problem);
  const HostPlan plan = make_host_plan(c.problem, config, kWorkers, c.lengths());
  EXPECT_EQ(busy_workers(plan), kWorkers);
}

// Every fixed-length shape: the plan is valid; when workers sit idle beyond
// what min_worker_share explains, none is more than workers / 32, no unit is
// split and no worker carries more than a Balanced share plus the split cost.
TEST(PlanWholeUnits, SweepOfFixedLengths) {
  int whole = 0, checked = 0;
  std::ostringstream failures;
  for (int num_heads : {1, 8, 16, 20, 32, 64, 96, 128}) {
    for (int q_len : {1, 2, 3, 4}) {
      for (int batch : {1, 33, 64, 65, 127, 128, 130, 132, 256, 300}) {
        for (int kv_len : {0, 100, 1024, 4096, 8192}) {
          for (int workers : {7, 66, 132}) {
            const LengthsCase c = fixed_lengths_case(batch, num_heads, q_len, kv_len);
            const KernelConfig config = select_config(c.problem);
            const HostPlan plan = make_host_plan(c.problem, config, workers, c.lengths());
            validate_plan(c.problem, config, plan.layout, c.lengths(), plan.buffer.data());
            KernelConfig balanced = config;
            balanced.split_cost_tokens = 0;
            const HostPlan reference =
                make_host_plan(c.problem, balanced, workers, c.lengths());
            ++checked;
            const int busy = busy_workers(plan);
            if (busy == busy_workers(reference)) continue;
            ++whole;
            std::ostringstream shape;
            shape << "\n  h_q " << num_heads << " s_q " << q_len << " batch " << batch
                  << " kv " << kv_len << " workers " << workers << ": ";
            if (busy < workers - workers / 32) failures << shape.str() << busy << " busy";
            if (plan.header().num_split_slots != 0) failures << shape.str() << "splits";
            if (max_worker_cost(plan) >
                max_worker_cost(reference) + config.split_cost_tokens) {
              failures << shape.str() << "cost " << max_worker_cost(plan) << " vs "
                       << max_worker_cost(reference);
            }
          }
        }
      }
    }
  }
  EXPECT_TRUE(failures.str().empty()) << failures.str();
  EXPECT_GE(whole, 20) << "of " << checked << " shapes";
}

}  // namespace
}  // namespace mladec::test
