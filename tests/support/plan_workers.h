#pragma once
#include <algorithm>
#include <numeric>
#include <vector>

#include "mladec/plan.h"

namespace mladec::test {

// Workers with a piece (a piece costs at least its overhead), as
// `mladec plan` counts them.
inline int busy_workers(const HostPlan& plan) {
  const std::vector<int64_t> cost = plan_balance(plan.config, plan).worker_cost;
  return int(std::count_if(cost.begin(), cost.end(), [](int64_t c) { return c > 0; }));
}

// The most KV blocks one worker walks, and all workers' blocks together
// (plan_balance's worker_blocks).
inline int64_t max_worker_blocks(const HostPlan& plan) {
  const std::vector<int64_t> blocks = plan_balance(plan.config, plan).worker_blocks;
  return *std::max_element(blocks.begin(), blocks.end());
}
inline int64_t total_piece_blocks(const HostPlan& plan) {
  const std::vector<int64_t> blocks = plan_balance(plan.config, plan).worker_blocks;
  return std::accumulate(blocks.begin(), blocks.end(), int64_t(0));
}

}  // namespace mladec::test
