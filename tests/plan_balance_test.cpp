// The Balanced policy balances varlen batches: with lengths ~ N(s, s/2) and
// at least 4 KV blocks per worker (64-token blocks summed over query tiles),
// no worker's planner cost exceeds the mean by more than 10%, or, where a
// share is only a few piece overheads, by more than two of them and the
// split alignment: a cut inside an item's overhead moves to the item's
// start (the worker before it loses up to one overhead) and a split piece
// pays one more (the plan's piece_overhead: KernelConfig's
// varlen_split_overhead_tokens here, 160-320 by tile form).
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <sstream>

#include "mladec/config.h"
#include "mladec/plan.h"
#include "mladec/random_inputs.h"
#include "tests/support/lengths_case.h"

namespace mladec::test {
namespace {

constexpr double kMaxOverMean = 1.10;
constexpr int kMinBlocksPerWorker = 4;
constexpr int kSeedsPerShape = 2;
constexpr int64_t kMaxUnits = 20000;  // keeps the sweep to a few seconds
constexpr int kMaxReported = 40;

TEST(PlanBalance, BalancedVarlenWithinTenPercent) {
  int checked = 0, violations = 0;
  std::ostringstream report;
  // Means from 16 to 20000 tokens, about 25% apart.
  for (int mean = 16; mean <= 20000; mean = mean * 5 / 4 + 1) {
    for (int batch : {1, 2, 3, 4, 5, 8, 16, 33, 64, 128, 256, 512}) {
      for (int num_heads : {1, 2, 8, 16, 20, 32, 40, 63, 64, 96, 128}) {
        for (int q_len : {1, 2, 3, 4, 8}) {
          if (int64_t(batch) * ((q_len * num_heads + 63) / 64) > kMaxUnits)
            continue;
          for (int k = 0; k < kSeedsPerShape; ++k) {
            const uint64_t seed = uint64_t(mean) * 7919 + batch * 31 +
                                  num_heads * 7 + q_len + k * 1000000007ull;
            // Clipped at s_q below as DESIGN §8 does, and at 4s above.
            LengthsCase c = make_lengths_case(
                num_heads, 64,
                random_varlen(batch, mean, q_len, 4 * mean, seed),
                std::vector<int32_t>(batch, q_len), false,
                SchedulePolicy::kBalanced);
            const KernelConfig config = select_config(c.problem);
            const int64_t blocks = total_unit_kv_blocks(c, config.tile_rows);
            for (int workers : {7, 66, 132, 264}) {
              if (blocks < int64_t(kMinBlocksPerWorker) * workers) continue;
              const HostPlan plan =
                  make_host_plan(c.problem, config, workers, c.lengths());
              const PlanBalance balance = plan_balance(config, plan);
              const double mean_cost =
                  double(std::accumulate(balance.worker_cost.begin(),
                                         balance.worker_cost.end(), int64_t(0))) /
                  workers;
              const double max_cost = double(
                  *std::max_element(balance.worker_cost.begin(), balance.worker_cost.end()));
              const double allowed =
                  std::max(kMaxOverMean * mean_cost,
                           mean_cost + 2.0 * plan.header().piece_overhead +
                               config.split_align_tokens);
              ++checked;
              if (max_cost > allowed + 1e-6 && violations++ < kMaxReported) {
                report << "\n  s=" << mean << " batch=" << batch
                       << " h_q=" << num_heads << " s_q=" << q_len
                       << " workers=" << workers << " seed=" << seed
                       << " blocks=" << blocks << " max " << max_cost << " mean "
                       << mean_cost << " max/mean=" << balance.max_over_mean;
              }
            }
          }
        }
      }
    }
  }
  std::ostringstream summary;
  summary << violations << " of " << checked
          << " Balanced plans have max > max(" << kMaxOverMean
          << " mean, mean + 2 overheads + alignment)"
          << " (lengths = random_varlen(batch, s, s_q, 4*s, seed), page 64):";
  EXPECT_EQ(violations, 0) << summary.str() << report.str();
  EXPECT_GE(checked, 50000) << "too few cases reach 4 blocks per worker";
}

}  // namespace
}  // namespace mladec::test
