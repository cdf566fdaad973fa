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

// KV blocks of `block` tokens a piece walks: every block it has a token in.
inline int64_t piece_blocks(const PlanPiece& piece, int block) {
  return piece.kv_end > piece.kv_begin
             ? (piece.kv_end - 1) / block - piece.kv_begin / block + 1
             : 0;
}

// The most blocks one worker walks, and all workers' blocks together.
inline int64_t max_worker_blocks(const HostPlan& plan, int block) {
  int64_t most = 0;
  const int32_t* begin = plan.worker_piece_begin();
  for (int w = 0; w < plan.layout.workers; ++w) {
    int64_t blocks = 0;
    for (int i = begin[w]; i < begin[w + 1]; ++i) blocks += piece_blocks(plan.pieces()[i], block);
    most = std::max(most, blocks);
  }
  return most;
}
inline int64_t total_piece_blocks(const HostPlan& plan, int block) {
  int64_t blocks = 0;
  for (int i = 0; i < plan.header().num_pieces; ++i) {
    blocks += piece_blocks(plan.pieces()[i], block);
  }
  return blocks;
}

}  // namespace mladec::test
