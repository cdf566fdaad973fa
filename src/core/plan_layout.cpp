#include <algorithm>

#include "mladec/constants.h"
#include "mladec/plan.h"
#include "src/core/config_knobs.h"
#include "src/core/require.h"

namespace mladec {

using detail::require;

namespace {

constexpr int kMaxWorkers = 1 << 16;
// Every array starts on a 128-byte boundary: coalesced device reads, and
// int64 / 16-byte records never straddle alignment.
constexpr size_t kArrayAlign = 128;

size_t append(size_t& cursor, size_t bytes) {
  size_t offset = (cursor + kArrayAlign - 1) / kArrayAlign * kArrayAlign;
  cursor = offset + bytes;
  return offset;
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

void validate_config(const KernelConfig& c) {
  require(c.tile_rows >= 1 && c.tile_rows <= 1024, ErrorCode::kBadConfig,
          "tile_rows must be in [1, 1024], got ", c.tile_rows);
  require(c.kv_block_tokens >= 1, ErrorCode::kBadConfig,
          "kv_block_tokens must be >= 1, got ", c.kv_block_tokens);
  require(c.split_align_tokens >= 1, ErrorCode::kBadConfig,
          "split_align_tokens must be >= 1, got ", c.split_align_tokens);
  for (const detail::ConfigKnob& knob : detail::kConfigKnobs) {
    const int value = c.*knob.field;
    if (knob.most == INT_MAX) {
      require(value >= knob.least, ErrorCode::kBadConfig, knob.name, " must be >= ",
              knob.least, ", got ", value);
    } else {
      require(value >= knob.least && value <= knob.most, ErrorCode::kBadConfig, knob.name,
              " must be in [", knob.least, ", ", knob.most, "], got ", value);
    }
  }
  require(c.fixed_chunk_tokens >= 1, ErrorCode::kBadConfig,
          "fixed_chunk_tokens must be >= 1, got ", c.fixed_chunk_tokens);
}

}  // namespace

PlanLayout plan_layout(const DecodeProblem& problem, const KernelConfig& config,
                       int workers) {
  validate_problem(problem);
  validate_config(config);
  require(workers >= 1 && workers <= kMaxWorkers, ErrorCode::kBadWorkers,
          "workers must be in [1, ", kMaxWorkers, "], got ", workers);

  PlanLayout l;
  l.workers = workers;
  l.batch = problem.batch;
  const int64_t heads = problem.num_heads;
  const int64_t tiles_per_request =
      ceil_div(problem.max_q_len * heads, config.tile_rows);
  int64_t max_units = problem.batch * tiles_per_request;
  if (problem.ragged_q) {
    // Each request wastes at most one partial tile.
    max_units = std::min(max_units, ceil_div(problem.total_q * heads,
                                             config.tile_rows) + problem.batch);
  }
  const bool fixed = problem.policy == SchedulePolicy::kFixedChunk;
  const int64_t chunks_per_unit =
      fixed ? std::max<int64_t>(
                  1, ceil_div(problem.max_kv_len(), config.fixed_chunk_tokens))
            : 1;
  const int64_t max_items = max_units * chunks_per_unit;
  int64_t max_pieces, max_split_slots, max_combine;
  if (fixed) {
    max_pieces = max_items;
    max_split_slots = chunks_per_unit > 1 ? max_items : 0;
    max_combine = chunks_per_unit > 1 ? max_units : 0;
  } else {
    // Each of the workers - 1 interior cuts adds at most one piece; a unit
    // split n ways has n - 1 cuts inside it, so split pieces <= 2 * cuts.
    max_pieces = max_units + workers - 1;
    max_split_slots = std::min<int64_t>(2 * (workers - 1), max_pieces);
    max_combine = std::min<int64_t>(workers - 1, max_units);
  }
  require(max_pieces <= INT32_MAX / 2, ErrorCode::kBadBatch,
          "the problem needs ", max_pieces, " plan pieces, more than the ",
          INT32_MAX / 2, " a plan can index; lower batch, max_q_len or, for "
          "fixed_chunk, raise fixed_chunk_tokens");
  // The planner places worker w's first cut at w * total_cost / workers in
  // int64 arithmetic (host and device alike); the largest total cost the
  // shape allows, times the worker count, must not overflow it.
  const int64_t max_item_tokens =
      fixed ? std::min<int64_t>(problem.max_kv_len(), config.fixed_chunk_tokens)
            : problem.max_kv_len();
  const int64_t max_item_cost =
      ceil_div(max_item_tokens, config.split_align_tokens) *
          config.split_align_tokens +
      std::max(config.split_overhead_tokens, config.varlen_split_overhead_tokens);
  // Both factors are below 2^33 and 2^30 here, so the product fits.
  const int64_t max_total_cost = max_items * max_item_cost;
  require(max_total_cost <= INT64_MAX / workers, ErrorCode::kBadBatch,
          "the problem's largest planner cost (plan items x tokens per item) ",
          max_total_cost, " times workers = ", workers, " must be <= ",
          INT64_MAX, "; lower batch, max_q_len, "
          "max_pages_per_request*page_size or workers");
  l.max_units = int(max_units);
  l.max_items = int(max_items);
  l.max_pieces = int(max_pieces);
  l.max_split_slots = int(max_split_slots);
  l.max_combine = int(max_combine);
  l.slot_rows = int(std::min<int64_t>(config.tile_rows,
                                      problem.max_q_len * heads));

  size_t cursor = 0;
  l.header_offset = append(cursor, sizeof(PlanHeader));
  l.worker_piece_begin_offset =
      append(cursor, sizeof(int32_t) * (size_t(workers) + 1));
  l.pieces_offset = append(cursor, sizeof(PlanPiece) * size_t(l.max_pieces));
  l.units_offset = append(cursor, sizeof(PlanUnit) * size_t(l.max_units));
  l.combine_offset = append(cursor, sizeof(int32_t) * size_t(l.max_combine));
  l.request_unit_begin_offset =
      append(cursor, sizeof(int32_t) * (size_t(l.batch) + 1));
  l.unit_item_begin_offset =
      append(cursor, sizeof(int32_t) * (size_t(l.max_units) + 1));
  l.item_cost_prefix_offset =
      append(cursor, sizeof(int64_t) * (size_t(l.max_items) + 1));
  l.worker_cut_offset =
      append(cursor, sizeof(int32_t) * 2 * (size_t(workers) + 1));
  l.unit_last_piece_offset =
      append(cursor, sizeof(int32_t) * (size_t(l.max_units) + 1));
  l.plan_bytes = (cursor + kArrayAlign - 1) / kArrayAlign * kArrayAlign;

  size_t ws = 0;
  const size_t slot_values = size_t(l.max_split_slots) * size_t(l.slot_rows);
  l.partial_out_offset = append(ws, sizeof(float) * slot_values * kLatentDim);
  l.partial_lse_offset = append(ws, sizeof(float) * slot_values);
  l.check_status_offset = append(ws, kCheckStatusBytes);
  l.workspace_bytes = (ws + kArrayAlign - 1) / kArrayAlign * kArrayAlign;
  return l;
}

PlanView plan_view(const PlanLayout& l, void* plan_buffer) {
  auto* base = static_cast<std::byte*>(plan_buffer);
  return PlanView{
      reinterpret_cast<PlanHeader*>(base + l.header_offset),
      reinterpret_cast<int32_t*>(base + l.worker_piece_begin_offset),
      reinterpret_cast<PlanPiece*>(base + l.pieces_offset),
      reinterpret_cast<PlanUnit*>(base + l.units_offset),
      reinterpret_cast<int32_t*>(base + l.combine_offset),
      reinterpret_cast<int32_t*>(base + l.request_unit_begin_offset),
      reinterpret_cast<int32_t*>(base + l.unit_item_begin_offset),
      reinterpret_cast<int64_t*>(base + l.item_cost_prefix_offset),
      reinterpret_cast<int32_t*>(base + l.worker_cut_offset),
      reinterpret_cast<int32_t*>(base + l.unit_last_piece_offset),
  };
}

}  // namespace mladec
