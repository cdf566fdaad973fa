#pragma once
#include <algorithm>
#include <vector>

#include "mladec/plan.h"

namespace mladec::test {

// Workers with a piece (a piece costs at least its overhead), as
// `mladec plan` counts them.
inline int busy_workers(const HostPlan& plan) {
  const std::vector<int64_t> cost = plan_balance(plan.config, plan).worker_cost;
  return int(std::count_if(cost.begin(), cost.end(), [](int64_t c) { return c > 0; }));
}

}  // namespace mladec::test
