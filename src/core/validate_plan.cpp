#include <algorithm>
#include <vector>

#include "mladec/plan.h"
#include "src/core/planner_params.h"
#include "src/core/require.h"

namespace mladec {

namespace {

template <typename... Parts>
void check(bool condition, const Parts&... parts) {
  detail::require(condition, ErrorCode::kPlanInvalid, parts...);
}

}  // namespace

void validate_plan(const DecodeProblem& problem, const KernelConfig& config,
                   const PlanLayout& layout, RequestLengths lengths,
                   const void* plan_buffer) {
  detail::require_matching_layout(problem, config, layout);
  validate_lengths(problem, lengths);
  detail::require(plan_buffer != nullptr, ErrorCode::kNullPointer,
                  "plan_buffer must not be null");
  // The view is only read here.
  PlanView v = plan_view(layout, const_cast<void*>(plan_buffer));
  const PlanHeader& h = *v.header;
  const int workers = layout.workers;

  check(h.status == 0, "plan status is ", h.status, " (planner rejected it)");
  check(h.workers == workers, "header.workers ", h.workers, " != layout ",
        workers);
  check(h.num_units >= 0 && h.num_units <= layout.max_units, "num_units ",
        h.num_units, " outside [0, ", layout.max_units, "]");
  check(h.num_pieces >= 0 && h.num_pieces <= layout.max_pieces, "num_pieces ",
        h.num_pieces, " outside [0, ", layout.max_pieces, "]");
  check(h.num_split_slots >= 0 && h.num_split_slots <= layout.max_split_slots,
        "num_split_slots ", h.num_split_slots, " outside [0, ",
        layout.max_split_slots, "]");
  check(h.num_combine >= 0 && h.num_combine <= layout.max_combine,
        "num_combine ", h.num_combine, " outside [0, ", layout.max_combine,
        "]");

  // Worker ranges partition [0, num_pieces).
  check(v.worker_piece_begin[0] == 0, "worker_piece_begin[0] is ",
        v.worker_piece_begin[0], ", not 0");
  for (int w = 0; w < workers; ++w) {
    check(v.worker_piece_begin[w] <= v.worker_piece_begin[w + 1],
          "worker ", w, " has a negative piece range [",
          v.worker_piece_begin[w], ", ", v.worker_piece_begin[w + 1], ")");
  }
  check(v.worker_piece_begin[workers] == h.num_pieces,
        "worker ranges end at ", v.worker_piece_begin[workers],
        ", not at num_pieces ", h.num_pieces);

  // Units: exactly the tiles of every request, each once, each consistent
  // with the lengths.
  const int64_t tile_rows = config.tile_rows;
  std::vector<int64_t> request_first_unit(problem.batch + 1, 0);
  for (int b = 0; b < problem.batch; ++b) {
    int64_t q_len = problem.ragged_q
                        ? lengths.qo_indptr[b + 1] - lengths.qo_indptr[b]
                        : problem.max_q_len;
    request_first_unit[b + 1] =
        request_first_unit[b] +
        (q_len * problem.num_heads + tile_rows - 1) / tile_rows;
  }
  check(h.num_units == request_first_unit[problem.batch], "num_units ",
        h.num_units, " but the requests have ",
        request_first_unit[problem.batch], " query tiles");
  std::vector<char> tile_seen(h.num_units, 0);
  for (int u = 0; u < h.num_units; ++u) {
    const PlanUnit& unit = v.units[u];
    check(unit.request >= 0 && unit.request < problem.batch, "unit ", u,
          " names request ", unit.request, " outside [0, ", problem.batch,
          ")");
    const int b = unit.request;
    const int64_t q_start = problem.ragged_q ? lengths.qo_indptr[b]
                                             : int64_t(b) * problem.max_q_len;
    const int64_t q_len = problem.ragged_q
                              ? lengths.qo_indptr[b + 1] - lengths.qo_indptr[b]
                              : problem.max_q_len;
    const int64_t rows = q_len * problem.num_heads;
    check(unit.q_start == q_start && unit.q_len == q_len, "unit ", u,
          " has queries [", unit.q_start, ", +", unit.q_len,
          ") but request ", b, " has [", q_start, ", +", q_len, ")");
    check(q_start + q_len <= problem.total_q, "unit ", u, " reads q rows up to ",
          q_start + q_len, " past total_q ", problem.total_q);
    check(unit.kv_len == lengths.seqlens[b], "unit ", u, " has kv_len ",
          unit.kv_len, " but seqlens[", b, "] is ", lengths.seqlens[b]);
    check(unit.row_begin >= 0 && unit.row_begin % tile_rows == 0 &&
              unit.row_begin < rows,
          "unit ", u, " starts at row ", unit.row_begin,
          ", not a tile start in [0, ", rows, ")");
    const int64_t tile = unit.row_begin / tile_rows;
    check(unit.row_count == std::min<int64_t>(tile_rows, rows - unit.row_begin),
          "unit ", u, " has ", unit.row_count, " rows, expected ",
          std::min<int64_t>(tile_rows, rows - unit.row_begin));
    check(unit.row_count <= layout.slot_rows, "unit ", u, " has ",
          unit.row_count, " rows, more than a split slot's ", layout.slot_rows);
    const int64_t global_tile = request_first_unit[b] + tile;
    check(global_tile < h.num_units && !tile_seen[global_tile], "tile ", tile,
          " of request ", b, " appears twice");
    tile_seen[global_tile] = 1;
    check(unit.num_splits >= 1, "unit ", u, " has ", unit.num_splits,
          " splits");
    if (unit.num_splits == 1) {
      check(unit.first_slot == -1, "unsplit unit ", u, " has split slot ",
            unit.first_slot);
    } else {
      check(unit.first_slot >= 0 &&
                int64_t(unit.first_slot) + unit.num_splits <= h.num_split_slots,
            "unit ", u, " uses split slots [", unit.first_slot, ", +",
            unit.num_splits, ") outside [0, ", h.num_split_slots, ")");
    }
  }

  // Pieces: inside their unit's KV, slots consistent and distinct, and per
  // unit they tile [0, kv_len) exactly once.
  std::vector<std::vector<int>> unit_pieces(h.num_units);
  std::vector<char> slot_used(h.num_split_slots, 0);
  for (int i = 0; i < h.num_pieces; ++i) {
    const PlanPiece& piece = v.pieces[i];
    check(piece.unit >= 0 && piece.unit < h.num_units, "piece ", i,
          " names unit ", piece.unit, " outside [0, ", h.num_units, ")");
    const PlanUnit& unit = v.units[piece.unit];
    check(piece.kv_begin >= 0 && piece.kv_begin <= piece.kv_end &&
              piece.kv_end <= unit.kv_len,
          "piece ", i, " covers KV [", piece.kv_begin, ", ", piece.kv_end,
          ") outside unit ", piece.unit, "'s [0, ", unit.kv_len, ")");
    if (unit.num_splits == 1) {
      check(piece.slot == -1, "piece ", i, " of unsplit unit ", piece.unit,
            " writes split slot ", piece.slot);
    } else {
      check(piece.slot >= unit.first_slot &&
                piece.slot < unit.first_slot + unit.num_splits,
            "piece ", i, " writes split slot ", piece.slot, " outside unit ",
            piece.unit, "'s [", unit.first_slot, ", +", unit.num_splits, ")");
      check(!slot_used[piece.slot], "split slot ", piece.slot,
            " is written by two pieces");
      slot_used[piece.slot] = 1;
    }
    unit_pieces[piece.unit].push_back(i);
  }
  for (int u = 0; u < h.num_units; ++u) {
    std::vector<int>& list = unit_pieces[u];
    const PlanUnit& unit = v.units[u];
    check(int(list.size()) == unit.num_splits, "unit ", u, " has ",
          list.size(), " pieces but num_splits ", unit.num_splits);
    std::sort(list.begin(), list.end(), [&](int a, int b) {
      return v.pieces[a].kv_begin < v.pieces[b].kv_begin;
    });
    int32_t covered = 0;
    for (int i : list) {
      const PlanPiece& piece = v.pieces[i];
      check(piece.kv_begin == covered, "unit ", u, ": KV tokens from ",
            std::min(covered, piece.kv_begin), " to ",
            std::max(covered, piece.kv_begin),
            piece.kv_begin > covered ? " are not covered" : " are covered twice");
      check(piece.kv_end > piece.kv_begin || unit.kv_len == 0, "piece ", i,
            " of unit ", u, " is empty");
      covered = piece.kv_end;
    }
    check(covered == unit.kv_len, "unit ", u, ": KV tokens from ", covered,
          " to ", unit.kv_len, " are not covered");
  }

  // The combine list names exactly the split units, each once.
  std::vector<char> combined(h.num_units, 0);
  int split_units = 0;
  for (int u = 0; u < h.num_units; ++u) split_units += v.units[u].num_splits > 1;
  check(h.num_combine == split_units, "num_combine ", h.num_combine, " but ",
        split_units, " units are split");
  for (int i = 0; i < h.num_combine; ++i) {
    int u = v.combine[i];
    check(u >= 0 && u < h.num_units, "combine entry ", i, " names unit ", u,
          " outside [0, ", h.num_units, ")");
    check(v.units[u].num_splits > 1, "combine entry ", i, " names unsplit unit ",
          u);
    check(!combined[u], "unit ", u, " is combined twice");
    combined[u] = 1;
  }
}

}  // namespace mladec
