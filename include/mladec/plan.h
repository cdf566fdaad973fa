#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "mladec/config.h"
#include "mladec/problem.h"

namespace mladec {

// A plan splits the decode work over `workers` persistent CTAs.
//
// Unit:  one tile of up to tile_rows query rows of one request. A request's
//        q_len*h_q rows (row r = token r / h_q, head r % h_q) are cut into
//        consecutive tiles, so every head count packs the same way.
// Piece: a contiguous KV token range [kv_begin, kv_end) of one unit, done by
//        one worker. A unit with one piece writes out/lse directly; a unit
//        with several writes each piece to its own split slot (float32 partial
//        output + LSE) and is merged by the combine step.
//
// All arrays have fixed capacities (PlanLayout) that depend on the problem's
// shape only, never on the lengths, so a CUDA graph can replay plan + decode
// with new lengths.

struct PlanHeader {
  int32_t num_units;
  int32_t num_items;        // planner scratch: schedulable items
  int32_t num_pieces;
  int32_t num_split_slots;
  int32_t num_combine;      // units with more than one piece
  int32_t workers;
  int32_t status;           // 0: ok; else the device planner rejected the
                            // lengths and the plan holds no work
  int32_t piece_overhead;   // planner cost of a piece's start the cuts used
                            // (KernelConfig::split_overhead_tokens or
                            // varlen_split_overhead_tokens)
};

struct PlanUnit {
  int32_t request;
  int32_t row_begin;   // first row of the tile among the request's rows
  int32_t row_count;   // rows in this tile, 1..tile_rows
  int32_t q_start;     // request's first token in q (qo_indptr[request])
  int32_t q_len;       // request's query tokens
  int32_t kv_len;      // request's KV length
  int32_t num_splits;  // pieces of this unit
  int32_t first_slot;  // split slot of piece 0, or -1 when num_splits == 1
};

struct PlanPiece {
  int32_t unit;
  int32_t kv_begin;
  int32_t kv_end;
  int32_t slot;  // split slot, or -1: write the final output directly
};

// Capacities and byte offsets of every array in one plan buffer, plus the
// workspace the decode needs for split partials. Depends on the shape only.
struct PlanLayout {
  int workers = 0;
  int batch = 0;
  int max_units = 0;
  int max_items = 0;
  int max_pieces = 0;
  int max_split_slots = 0;
  int max_combine = 0;
  int slot_rows = 0;  // rows per split slot: min(tile_rows, max_q_len*h_q)

  // Offsets in bytes from the start of the plan buffer.
  size_t header_offset = 0;
  size_t worker_piece_begin_offset = 0;  // int32 [workers + 1]
  size_t pieces_offset = 0;              // PlanPiece [max_pieces]
  size_t units_offset = 0;               // PlanUnit [max_units]
  size_t combine_offset = 0;             // int32 [max_combine]
  size_t request_unit_begin_offset = 0;  // int32 [batch + 1]  (scratch)
  size_t unit_item_begin_offset = 0;     // int32 [max_units + 1] (scratch)
  size_t item_cost_prefix_offset = 0;    // int64 [max_items + 1] (scratch)
  size_t worker_cut_offset = 0;          // int32 [2 * (workers + 1)] (scratch)
  size_t unit_last_piece_offset = 0;     // int32 [max_units] (scratch)
  size_t plan_bytes = 0;

  // Workspace: float32 partial outputs [max_split_slots, slot_rows, 512],
  // float32 partial LSE [max_split_slots, slot_rows], then checked mode's
  // status (kCheckStatusBytes; DecodeArgs::checked).
  size_t partial_out_offset = 0;
  size_t partial_lse_offset = 0;
  size_t check_status_offset = 0;
  size_t workspace_bytes = 0;
};

// Bytes reserved in every workspace for checked mode's status.
inline constexpr size_t kCheckStatusBytes = 256;

// Throws mladec::Error for an invalid problem or worker count (1..65536).
PlanLayout plan_layout(const DecodeProblem& problem, const KernelConfig& config,
                       int workers);

// Typed pointers into a plan buffer laid out by `layout` (host or device).
struct PlanView {
  PlanHeader* header;
  int32_t* worker_piece_begin;
  PlanPiece* pieces;
  PlanUnit* units;
  int32_t* combine;
  int32_t* request_unit_begin;
  int32_t* unit_item_begin;
  int64_t* item_cost_prefix;
  int32_t* worker_cut;
  int32_t* unit_last_piece;
};
PlanView plan_view(const PlanLayout& layout, void* plan_buffer);

// Per-request lengths, host memory. qo_indptr is [batch + 1] and must be given
// exactly when problem.ragged_q; otherwise every request has max_q_len tokens.
struct RequestLengths {
  const int32_t* seqlens = nullptr;
  const int32_t* qo_indptr = nullptr;
};

// Throws mladec::Error (kBadSeqLen / kBadQoIndptr) for lengths the problem
// cannot hold: negative, past the block table, non-monotone, past total_q.
void validate_lengths(const DecodeProblem& problem, RequestLengths lengths);

// Plans on the host into `plan_buffer` (layout.plan_bytes bytes, host memory).
void make_plan(const DecodeProblem& problem, const KernelConfig& config,
               const PlanLayout& layout, RequestLengths lengths,
               void* plan_buffer);

// Proves the plan is safe and complete: every index lies inside its buffer,
// every (request, query row, KV token) is covered exactly once, split slots
// are distinct and the combine list names exactly the split units. Throws
// mladec::Error(kPlanInvalid) naming the first violation.
void validate_plan(const DecodeProblem& problem, const KernelConfig& config,
                   const PlanLayout& layout, RequestLengths lengths,
                   const void* plan_buffer);

// A plan in host memory with its layout: the convenient form for the CLI,
// tests and the CPU executor.
struct HostPlan {
  KernelConfig config;
  PlanLayout layout;
  std::vector<std::byte> buffer;

  PlanView view() { return plan_view(layout, buffer.data()); }
  const PlanHeader& header() const;
  const PlanPiece* pieces() const;
  const PlanUnit* units() const;
  const int32_t* worker_piece_begin() const;
  const int32_t* combine() const;
};
HostPlan make_host_plan(const DecodeProblem& problem, const KernelConfig& config,
                        int workers, RequestLengths lengths);

// Planner cost of each worker (KV tokens + the plan's piece_overhead per
// piece) and the max / mean ratio the Balanced policy keeps close to 1; and
// the KV blocks (kv_block_tokens) each worker's pieces walk. The kernel runs
// every block a piece has a token in whole, so the busiest worker's blocks
// bound a short step (bench/NOTES.md v67).
struct PlanBalance {
  std::vector<int64_t> worker_cost;
  double max_over_mean = 0.0;
  std::vector<int64_t> worker_blocks;
};
PlanBalance plan_balance(const KernelConfig& config, const HostPlan& plan);

}  // namespace mladec
