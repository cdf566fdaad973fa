#include <algorithm>
#include <cstring>
#include <numeric>

#include "mladec/plan.h"
#include "src/core/planner_params.h"
#include "src/core/require.h"

namespace mladec {

using detail::require;

namespace detail {

PlannerParams planner_params(const DecodeProblem& problem,
                             const KernelConfig& config,
                             const PlanLayout& layout, const int32_t* seqlens,
                             const int32_t* qo_indptr) {
  PlannerParams p{};
  p.batch = problem.batch;
  p.num_heads = problem.num_heads;
  p.max_q_len = problem.max_q_len;
  p.ragged_q = problem.ragged_q ? 1 : 0;
  p.total_q = problem.total_q;
  p.max_kv_len = problem.max_kv_len();
  p.tile_rows = config.tile_rows;
  p.workers = layout.workers;
  p.fixed_chunk = problem.policy == SchedulePolicy::kFixedChunk
                      ? config.fixed_chunk_tokens
                      : 0;
  p.split_align = config.split_align_tokens;
  p.split_overhead = config.split_overhead_tokens;
  p.varlen_split_overhead = config.varlen_split_overhead_tokens;
  p.split_cost = config.split_cost_tokens;
  p.min_worker_share = config.min_worker_share_tokens;
  p.small_step_share = config.small_step_share_tokens;
  p.small_step_workers_percent = config.small_step_workers_percent;
  p.block_cut_share = config.block_cut_share_tokens;
  p.kv_block = config.kv_block_tokens;
  p.units_per_request = int(ceil_div(int64_t(problem.max_q_len) * problem.num_heads,
                                     config.tile_rows));
  p.tile_major = config.concurrent_tiles && !problem.ragged_q && p.fixed_chunk == 0 &&
                         p.units_per_request > 1
                     ? 1
                     : 0;
  p.max_units = layout.max_units;
  p.max_items = layout.max_items;
  p.max_pieces = layout.max_pieces;
  p.max_split_slots = layout.max_split_slots;
  p.max_combine = layout.max_combine;
  p.seqlens = seqlens;
  p.qo_indptr = problem.ragged_q ? qo_indptr : nullptr;
  return p;
}

void require_matching_layout(const DecodeProblem& problem,
                             const KernelConfig& config,
                             const PlanLayout& layout) {
  PlanLayout expected = plan_layout(problem, config, layout.workers);
  bool same = std::memcmp(&expected, &layout, sizeof(PlanLayout)) == 0;
  require(same, ErrorCode::kPlanMismatch,
          "the plan layout was made for another problem, config or worker "
          "count (plan_bytes ", layout.plan_bytes, " vs ", expected.plan_bytes,
          ", workspace_bytes ", layout.workspace_bytes, " vs ",
          expected.workspace_bytes, ")");
}

namespace {

// Runs the planner's phases one after another on the calling thread.
struct SequentialExec {
  bool leader() const { return true; }
  void sync() const {}
  template <typename Fn>
  void for_each(int n, Fn&& fn) const {
    for (int i = 0; i < n; ++i) fn(i);
  }
  template <typename T>
  int64_t scan(T* array, int n) const {
    T total = 0;
    for (int i = 0; i < n; ++i) {
      T value = array[i];
      array[i] = total;
      total += value;
    }
    array[n] = total;
    return int64_t(total);
  }
};

}  // namespace
}  // namespace detail

void validate_lengths(const DecodeProblem& problem, RequestLengths lengths) {
  require(lengths.seqlens != nullptr, ErrorCode::kNullPointer,
          "seqlens must not be null");
  const int64_t max_kv = problem.max_kv_len();
  for (int b = 0; b < problem.batch; ++b) {
    int32_t len = lengths.seqlens[b];
    require(len >= 0 && len <= max_kv, ErrorCode::kBadSeqLen, "seqlens[", b,
            "] must be in [0, max_pages_per_request*page_size = ", max_kv,
            "], got ", len);
  }
  if (!problem.ragged_q) return;
  const int32_t* indptr = lengths.qo_indptr;
  require(indptr != nullptr, ErrorCode::kNullPointer,
          "qo_indptr must be given for a ragged_q problem");
  require(indptr[0] == 0, ErrorCode::kBadQoIndptr,
          "qo_indptr[0] must be 0, got ", indptr[0]);
  for (int b = 0; b < problem.batch; ++b) {
    int64_t q_len = int64_t(indptr[b + 1]) - indptr[b];
    require(q_len >= 0 && q_len <= problem.max_q_len, ErrorCode::kBadQoIndptr,
            "query length of request ", b, " (qo_indptr[", b + 1,
            "] - qo_indptr[", b, "]) must be in [0, max_q_len = ",
            problem.max_q_len, "], got ", q_len);
  }
  require(indptr[problem.batch] <= problem.total_q, ErrorCode::kBadQoIndptr,
          "qo_indptr[batch] must be <= total_q = ", problem.total_q, ", got ",
          indptr[problem.batch]);
}

void make_plan(const DecodeProblem& problem, const KernelConfig& config,
               const PlanLayout& layout, RequestLengths lengths,
               void* plan_buffer) {
  detail::require_matching_layout(problem, config, layout);
  validate_lengths(problem, lengths);
  require(plan_buffer != nullptr, ErrorCode::kNullPointer,
          "plan_buffer must not be null");
  detail::PlannerParams params = detail::planner_params(
      problem, config, layout, lengths.seqlens, lengths.qo_indptr);
  detail::SequentialExec exec;
  int32_t status =
      detail::run_planner(params, plan_view(layout, plan_buffer), exec);
  // Lengths were validated and capacities are upper bounds, so this is a
  // planner bug, not a user error.
  require(status == detail::kPlanOk, ErrorCode::kPlanInvalid,
          "planner failed with status ", status, " on validated lengths");
}

const PlanHeader& HostPlan::header() const {
  return *reinterpret_cast<const PlanHeader*>(buffer.data() +
                                              layout.header_offset);
}
const PlanPiece* HostPlan::pieces() const {
  return reinterpret_cast<const PlanPiece*>(buffer.data() +
                                            layout.pieces_offset);
}
const PlanUnit* HostPlan::units() const {
  return reinterpret_cast<const PlanUnit*>(buffer.data() +
                                           layout.units_offset);
}
const int32_t* HostPlan::worker_piece_begin() const {
  return reinterpret_cast<const int32_t*>(buffer.data() +
                                          layout.worker_piece_begin_offset);
}
const int32_t* HostPlan::combine() const {
  return reinterpret_cast<const int32_t*>(buffer.data() +
                                          layout.combine_offset);
}

HostPlan make_host_plan(const DecodeProblem& problem, const KernelConfig& config,
                        int workers, RequestLengths lengths) {
  HostPlan plan;
  plan.config = config;
  plan.layout = plan_layout(problem, config, workers);
  plan.buffer.assign(plan.layout.plan_bytes, std::byte{0});
  make_plan(problem, config, plan.layout, lengths, plan.buffer.data());
  return plan;
}

PlanBalance plan_balance(const KernelConfig& config, const HostPlan& plan) {
  PlanBalance balance;
  const int workers = plan.layout.workers;
  balance.worker_cost.assign(workers, 0);
  balance.worker_blocks.assign(workers, 0);
  const int32_t* begin = plan.worker_piece_begin();
  const PlanPiece* pieces = plan.pieces();
  const int block = config.kv_block_tokens;
  for (int w = 0; w < workers; ++w) {
    for (int i = begin[w]; i < begin[w + 1]; ++i) {
      int64_t tokens = pieces[i].kv_end - pieces[i].kv_begin;
      balance.worker_cost[w] += detail::piece_cost(
          config.split_align_tokens, plan.header().piece_overhead, tokens);
      if (tokens > 0) {
        balance.worker_blocks[w] +=
            (pieces[i].kv_end - 1) / block - pieces[i].kv_begin / block + 1;
      }
    }
  }
  int64_t total = std::accumulate(balance.worker_cost.begin(),
                                  balance.worker_cost.end(), int64_t(0));
  int64_t max = *std::max_element(balance.worker_cost.begin(),
                                  balance.worker_cost.end());
  balance.max_over_mean = total == 0 ? 1.0 : double(max) * workers / total;
  return balance;
}

}  // namespace mladec
