// Small steps: a step that min_worker_share_tokens would leave on fewer than
// half the workers takes up to half of them, with shares down to
// small_step_share_tokens (KernelConfig; bench/NOTES.md v65), and no other
// step's plan changes.
#include <gtest/gtest.h>

#include <sstream>
#include <tuple>
#include <vector>

#include "mladec/config.h"
#include "mladec/plan.h"
#include "tests/support/lengths_case.h"
#include "tests/support/plan_sweep.h"
#include "tests/support/plan_workers.h"

namespace mladec::test {
namespace {

constexpr int kWorkers = 132;  // an H200's SMs

// The same configuration without the small-step rule: shares never below
// min_worker_share_tokens.
KernelConfig without_small_steps(KernelConfig config) {
  config.small_step_share_tokens = config.min_worker_share_tokens;
  return config;
}

TEST(PlanSmallSteps, OneShortRequestSpreadsOverMoreWorkers) {
  // 1×1024, h_q 16: one 16-row unit of 1024 tokens. At shares of 128 tokens
  // it ran on 8 workers (13.4 µs on the H200); at 32, on 32 (10.3 µs, v65;
  // 9.7 after 45b55cc); at 64, on 16 (9.4 µs, v94).
  const LengthsCase c = fixed_lengths_case(1, 16, 1, 1024);
  const KernelConfig config = select_config(c.problem);
  const HostPlan plan = make_host_plan(c.problem, config, kWorkers, c.lengths());
  const HostPlan coarse =
      make_host_plan(c.problem, without_small_steps(config), kWorkers, c.lengths());
  validate_plan(c.problem, config, plan.layout, c.lengths(), plan.buffer.data());
  EXPECT_EQ(busy_workers(coarse), 8);
  EXPECT_EQ(busy_workers(plan), 16);
}

TEST(PlanSmallSteps, NeverMoreThanHalfTheWorkers) {
  // 1×4096 h_q 16 costs 4256 tokens: 66 shares of 64 (133 of 32), and at
  // most 66 workers (132 ran 15.8 µs against 66's 13.2).
  const LengthsCase c = fixed_lengths_case(1, 16, 1, 4096);
  const KernelConfig config = select_config(c.problem);
  const HostPlan plan = make_host_plan(c.problem, config, kWorkers, c.lengths());
  EXPECT_GT(busy_workers(plan), kWorkers / 4);
  EXPECT_LE(busy_workers(plan), kWorkers / 2);
}

TEST(PlanSmallSteps, EveryWorkerWalksOneBlock) {
  // Cut on the tokens alone, 37 workers over 32 blocks (1×1024 h_q 128: two
  // 64-row units) or 66 over 64 (4×1024 h_q 16) give every block its own
  // worker; on the cost line, the workers placed in an item's overhead went
  // without, and others took two blocks.
  for (const auto& [batch, heads, blocks] : {std::tuple{1, 128, 32}, std::tuple{4, 16, 64}}) {
    const LengthsCase c = fixed_lengths_case(batch, heads, 1, 1024);
    const KernelConfig config = select_config(c.problem);
    const HostPlan plan = make_host_plan(c.problem, config, kWorkers, c.lengths());
    validate_plan(c.problem, config, plan.layout, c.lengths(), plan.buffer.data());
    EXPECT_EQ(max_worker_blocks(plan), 1) << batch << "x1024 h_q " << heads;
    EXPECT_EQ(busy_workers(plan), blocks) << batch << "x1024 h_q " << heads;
  }
}

TEST(PlanSmallSteps, TheCapIsTheConfigs) {
  // The same step with the cap at all the workers and at a quarter of them,
  // at shares of 32 tokens (133 of them; at the default 64 no more than 66
  // shares exist for the cap to bind).
  const LengthsCase c = fixed_lengths_case(1, 16, 1, 4096);
  KernelConfig config = select_config(c.problem);
  config.small_step_share_tokens = 32;
  const int half = busy_workers(make_host_plan(c.problem, config, kWorkers, c.lengths()));
  config.small_step_workers_percent = 100;
  const HostPlan all = make_host_plan(c.problem, config, kWorkers, c.lengths());
  validate_plan(c.problem, config, all.layout, c.lengths(), all.buffer.data());
  EXPECT_GT(busy_workers(all), half);
  config.small_step_workers_percent = 25;
  const HostPlan quarter = make_host_plan(c.problem, config, kWorkers, c.lengths());
  EXPECT_LE(busy_workers(quarter), kWorkers / 4);
  EXPECT_GT(busy_workers(quarter), 8);  // still more than min_worker_share's
}

// Every shape and worker count: the plan is valid; a step that already
// fills half the workers at min_worker_share_tokens plans exactly as
// without the rule; a smaller one uses at least as many workers as without
// it and, if more, at most half of them.
TEST(PlanSmallSteps, SweepOfShapes) {
  int raised = 0, unchanged = 0;
  std::ostringstream failures;
  for_each_swept_shape(without_small_steps, [&](const SweptShape& s) {
    const int busy = busy_workers(s.plan), busy_coarse = busy_workers(s.variant);
    const int cap = s.workers * s.config.small_step_workers_percent / 100;
    const std::string shape = s.describe() + ": " + std::to_string(busy) + " busy, " +
                              std::to_string(busy_coarse) + " without the rule";
    if (busy_coarse >= cap) {
      if (s.plan.buffer != s.variant.buffer) failures << shape << ", plans differ";
      ++unchanged;
    } else if (busy < busy_coarse || (busy > busy_coarse && busy > cap)) {
      failures << shape;
    } else if (busy > busy_coarse) {
      ++raised;
    }
  });
  EXPECT_TRUE(failures.str().empty()) << failures.str();
  EXPECT_GT(raised, 50);     // the rule acts on many small shapes...
  EXPECT_GT(unchanged, 200);  // ...and leaves the large ones alone
}

}  // namespace
}  // namespace mladec::test
