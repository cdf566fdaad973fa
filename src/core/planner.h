#pragma once
// The planning function, written once as data-parallel phases and compiled
// for host and device. make_plan() runs each phase as a loop with sequential
// scans; the device planner kernel runs each phase across a thread block with
// block-wide scans. Between phases the drivers run an exclusive scan over the
// array the phase filled, so phases only ever read results of earlier ones.
//
// The schedule: every unit (tile of query rows of one request) becomes one or
// more items (Balanced: the unit itself; FixedChunk: fixed_chunk_tokens-long
// chunks). Items are laid end to end on a cost line, each costing its
// split_align-rounded tokens plus split_overhead. Worker w starts at
// w * total / workers; Balanced may cut an item at a split_align boundary
// (for small shares, a KV block fraction: cut_alignment),
// FixedChunk snaps to the nearest item boundary. Every cut is computed
// independently (a binary search), so the device runs them in parallel.
#include <cstdint>

#include "mladec/plan.h"
#include "src/core/host_device.h"

namespace mladec::detail {

enum PlanStatus : int32_t {
  kPlanOk = 0,
  kPlanBadLengths = 1,     // a length outside what the problem allows
  kPlanOverCapacity = 2,   // an array would overflow its capacity
};

// Everything the planning phases read: plain values, passed to a kernel.
struct PlannerParams {
  int batch;
  int num_heads;
  int max_q_len;
  int ragged_q;
  int64_t total_q;
  int64_t max_kv_len;
  int tile_rows;
  int workers;
  int fixed_chunk;  // 0 for Balanced, else chunk tokens (items indivisible)
  int split_align;
  int split_overhead;
  int varlen_split_overhead;
  int split_cost;
  int min_worker_share;
  int small_step_share;
  int small_step_workers_percent;
  int block_cut_share;
  int kv_block;
  // Units in tile-major order (u = tile * batch + request) and a worker
  // count that is a multiple of units_per_request: the cost line is then
  // units_per_request equal segments, and worker g * (workers / units) + v
  // walks segment g exactly where worker v walks segment 0 — the same KV at
  // the same time. Only for uniform s_q (KernelConfig::concurrent_tiles).
  int tile_major;
  int units_per_request;
  int max_units;
  int max_items;
  int max_pieces;
  int max_split_slots;
  int max_combine;
  const int32_t* seqlens;
  const int32_t* qo_indptr;  // nullptr unless ragged_q
};

MLADEC_HD int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// The last i in [0, n) with at(i) <= value, for a non-decreasing at(0..n)
// whose at(0) <= value.
template <typename At, typename T>
MLADEC_HD int upper_bound_by(int n, const At& at, T value) {
  int lo = 0, hi = n;  // invariant: at(lo) <= value, answer in [lo, hi)
  while (hi - lo > 1) {
    int mid = (lo + hi) / 2;
    if (at(mid) <= value) lo = mid; else hi = mid;
  }
  return lo;
}

// Index of the last element <= value in a non-decreasing array[0..n].
template <typename T>
MLADEC_HD int upper_bound_index(const T* array, int n, T value) {
  return upper_bound_by(n, [array](int i) { return array[i]; }, value);
}

MLADEC_HD int request_q_len(const PlannerParams& p, int b) {
  return p.ragged_q ? p.qo_indptr[b + 1] - p.qo_indptr[b] : p.max_q_len;
}
MLADEC_HD int request_q_start(const PlannerParams& p, int b) {
  return p.ragged_q ? p.qo_indptr[b] : b * p.max_q_len;
}

// Phase 1, per request: units (query tiles) of request b, to be scanned into
// request_unit_begin. Flags lengths the problem cannot hold.
MLADEC_HD void phase_count_units(const PlannerParams& p, const PlanView& v,
                                 int b) {
  int q_len = request_q_len(p, b);
  int kv_len = p.seqlens[b];
  bool bad = kv_len < 0 || kv_len > p.max_kv_len || q_len < 0 ||
             q_len > p.max_q_len;
  if (p.ragged_q) {
    bad = bad || p.qo_indptr[0] != 0 || p.qo_indptr[b + 1] > p.total_q;
  }
  if (bad) {
    v.header->status = kPlanBadLengths;
    v.request_unit_begin[b] = 0;
    return;
  }
  v.request_unit_begin[b] =
      int32_t(ceil_div(int64_t(q_len) * p.num_heads, p.tile_rows));
}

MLADEC_HD int64_t unit_item_count(const PlannerParams& p, int kv_len) {
  if (p.fixed_chunk == 0 || kv_len == 0) return 1;
  return ceil_div(kv_len, p.fixed_chunk);
}

// Phase 2, per unit: fill the unit record and count its items.
MLADEC_HD void phase_fill_unit(const PlannerParams& p, const PlanView& v,
                               int u) {
  int b, tile;
  if (p.tile_major) {
    tile = u / p.batch;
    b = u % p.batch;
  } else {
    b = upper_bound_index(v.request_unit_begin, p.batch, int32_t(u));
    tile = u - v.request_unit_begin[b];
  }
  int q_len = request_q_len(p, b);
  int rows = q_len * p.num_heads;
  PlanUnit unit;
  unit.request = b;
  unit.row_begin = tile * p.tile_rows;
  unit.row_count = rows - unit.row_begin < p.tile_rows ? rows - unit.row_begin
                                                       : p.tile_rows;
  unit.q_start = request_q_start(p, b);
  unit.q_len = q_len;
  unit.kv_len = p.seqlens[b];
  unit.num_splits = 0;
  unit.first_slot = -1;
  v.units[u] = unit;
  v.unit_item_begin[u] = int32_t(unit_item_count(p, unit.kv_len));
}

struct ItemRange {
  int unit;
  int kv_begin;
  int kv_end;
};

MLADEC_HD ItemRange item_range(const PlannerParams& p, const PlanView& v,
                               int num_units, int item) {
  int u = upper_bound_index(v.unit_item_begin, num_units, int32_t(item));
  int kv_len = v.units[u].kv_len;
  if (p.fixed_chunk == 0) return {u, 0, kv_len};
  int64_t begin = int64_t(item - v.unit_item_begin[u]) * p.fixed_chunk;
  int64_t end = begin + p.fixed_chunk < kv_len ? begin + p.fixed_chunk : kv_len;
  return {u, int(begin), int(end)};
}

// Planner cost of one piece: tokens rounded up to the split alignment plus the
// fixed cost of starting a piece (loading Q, writing the result).
MLADEC_HD int64_t piece_cost(int split_align, int split_overhead,
                             int64_t tokens) {
  return ceil_div(tokens, split_align) * split_align + split_overhead;
}

// The planner cost of a piece's start on the cut line: split_overhead while
// every item costs the same (and under FixedChunk, whose cuts are item
// boundaries), varlen_split_overhead when the costs differ
// (KernelConfig::varlen_split_overhead_tokens says why). Equal first and
// mean costs are taken as equal costs, as in whole_item_workers.
MLADEC_HD int64_t line_piece_overhead(const PlannerParams& p, const int64_t* item_cost_prefix,
                                      int num_items) {
  const bool alike =
      num_items == 0 || item_cost_prefix[1] * num_items == item_cost_prefix[num_items];
  return p.fixed_chunk != 0 || alike ? p.split_overhead : p.varlen_split_overhead;
}

// Phase 3, per item: its cost on the line, to be scanned into
// item_cost_prefix.
MLADEC_HD void phase_item_cost(const PlannerParams& p, const PlanView& v,
                               int num_units, int item) {
  ItemRange r = item_range(p, v, num_units, item);
  v.item_cost_prefix[item] =
      piece_cost(p.split_align, p.split_overhead, r.kv_end - r.kv_begin);
}

// Fixed lengths: when every item costs the same and a few workers fewer
// (at most workers / 32 idle: 128 of 132 SMs) give every worker k whole
// items, no unit is split. A split costs the step more than its tokens —
// float32 partials written and read back by the combine, one more piece to
// start and end (bench/NOTES.md v58: 128 workers instead of 132 took 1-22%
// off most fixed-length cells) — p.split_cost tokens of one worker's time,
// so the whole-item count is used when the cost it adds to each worker,
// k * cost - total / workers, is at most that. Tile-major plans need a
// multiple of units_per_request, which keeps the segments' cuts in line.
// Returns `workers` when no such count exists. Each cut computes the same.
MLADEC_HD int whole_item_workers(const PlannerParams& p, int workers,
                                 int64_t total, int num_items,
                                 int64_t first_item_cost) {
  if (p.fixed_chunk != 0 || num_items == 0 ||
      first_item_cost * num_items != total) {
    return workers;
  }
  // first_item_cost * num_items == total with every cost >= split_overhead
  // > 0 does not prove the costs equal; a plan from unequal costs is as
  // valid, only not free of splits.
  for (int k = int(ceil_div(num_items, workers));; ++k) {
    const int fewer = num_items / k;
    if (fewer < workers - workers / 32) return workers;
    if (k * first_item_cost * workers - total > int64_t(p.split_cost) * workers) {
      return workers;
    }
    if (num_items % k == 0 &&
        (!p.tile_major || fewer % p.units_per_request == 0)) {
      return fewer;
    }
  }
}

// The multiple of tokens a Balanced cut inside an item falls on, for worker
// shares of `share` planner cost (KernelConfig::block_cut_share_tokens says
// why): split_align, or below block_cut_share the largest power-of-two
// fraction of a KV block that is at most 4/3 of the share (35 → 32,
// 62 → 64), never below split_align.
MLADEC_HD int64_t cut_alignment(const PlannerParams& p, int64_t share) {
  if (share >= p.block_cut_share) return p.split_align;
  int64_t align = p.kv_block;
  while (align / 2 >= p.split_align && 3 * align > 4 * share) align /= 2;
  return align > p.split_align ? align : p.split_align;
}

// A cut `into` tokens into `item` (negative: inside its overhead), moved to
// the nearest multiple of `align`: a cut at or before the item's first token
// is its start, one at or past its last token the next item's start.
MLADEC_HD void cut_in_item(int item, int64_t item_tokens, int64_t into, int64_t align,
                           int32_t* cut) {
  const int64_t aligned = (into + align / 2) / align * align;
  if (aligned <= 0) {
    cut[0] = item;
    cut[1] = 0;
  } else if (aligned >= item_tokens) {
    cut[0] = item + 1;
    cut[1] = 0;
  } else {
    cut[0] = item;
    cut[1] = int32_t(aligned);
  }
}

// Phase 4, per cut w in 0..workers: where worker w starts, as (item, token
// offset into the item). Cut `workers` is the end of the line.
MLADEC_HD void phase_worker_cut(const PlannerParams& p, const PlanView& v,
                                int num_units, int num_items, int w) {
  int32_t* cut = v.worker_cut + 2 * w;
  const int64_t total = v.item_cost_prefix[num_items];
  // Shares below min_worker_share cost more in fixed overhead and combine
  // traffic than they save: small batches use fewer workers. A step that
  // leaves more than half the workers (small_step_workers_percent) idle that
  // way may use up to half of them, with shares down to small_step_share
  // (KernelConfig says why).
  const int64_t coarse = total / p.min_worker_share;
  const int64_t half = int64_t(p.workers) * p.small_step_workers_percent / 100;
  const int64_t fine = total / p.small_step_share < half ? total / p.small_step_share : half;
  const int64_t useful = coarse > fine ? coarse : fine;  // max(coarse, min(fine, half))
  int workers = useful < 1 ? 1 : useful < p.workers ? int(useful) : p.workers;
  const int whole = whole_item_workers(p, workers, total, num_items,
                                       v.item_cost_prefix[num_items > 0 ? 1 : 0]);
  if (whole != workers) {
    workers = whole;
  } else if (p.tile_major && workers % p.units_per_request <= workers / 64) {
    // Tile-major plans use a multiple of units_per_request workers when that
    // idles at most 1/64 of them (132 SMs: 2, 3, 4 and 6 tiles idle none);
    // otherwise the segments' cuts simply do not line up.
    workers -= workers % p.units_per_request;
  }
  if (w >= workers || num_items == 0) {
    cut[0] = w == 0 ? 0 : num_items;
    cut[1] = 0;
    return;
  }
  // The cut line: each item costs its tokens plus `start_cost` for its
  // start; worker w starts w/workers of the way along it.
  int64_t start_cost = line_piece_overhead(p, v.item_cost_prefix, num_items);
  int64_t share = total / workers;  // the share cut_alignment sees
  if (p.fixed_chunk == 0 && fine > coarse) {
    // A small step (its worker count is the small-step rule's): nearly every
    // busy worker has one piece and pays its overhead whatever its tokens.
    // The full overhead at each item's start left the workers placed in it
    // without tokens (1×1024 h_q 128: 58 of 66 busy, some with two blocks),
    // so here an item's start costs at most one share of tokens: enough
    // that a cut just past an item's end still moves to it (one piece, not
    // the end of one item and the start of the next).
    share = (total - int64_t(num_items) * p.split_overhead) / workers;
    start_cost = share < start_cost ? share : start_cost;
    start_cost = start_cost > 1 ? start_cost : 1;
  }
  // The item costs hold split_overhead: 0 but in small steps and varlen
  // plans (negative there: a surcharge).
  const int64_t discount = p.split_overhead - start_cost;
  const int64_t* prefix = v.item_cost_prefix;
  const auto line_before = [prefix, discount](int i) {  // item i's start on the line
    return prefix[i] - int64_t(i) * discount;
  };
  const int64_t position = int64_t(w) * line_before(num_items) / workers;
  const int item = upper_bound_by(num_items, line_before, position);
  const int64_t into = position - line_before(item);
  if (p.fixed_chunk != 0) {  // items are indivisible: nearest boundary
    cut[0] = 2 * into < line_before(item + 1) - line_before(item) ? item : item + 1;
    cut[1] = 0;
    return;
  }
  // Inside the start cost of an item the cut moves to the item's start;
  // further in, the item is split at the nearest cut_alignment boundary and
  // the worker pays the overhead of a second piece.
  const ItemRange r = item_range(p, v, num_units, item);
  cut_in_item(item, r.kv_end - r.kv_begin, into - start_cost, cut_alignment(p, share), cut);
}

// Visits the pieces of worker w in order: fn(item, begin, end) with offsets
// relative to the item. Items [cut_w, cut_{w+1}) in (item, offset) order.
template <typename Fn>
MLADEC_HD void for_each_worker_piece(const PlannerParams& p, const PlanView& v,
                                     int num_units, int w, Fn&& fn) {
  const int32_t* from = v.worker_cut + 2 * w;
  const int32_t* to = from + 2;
  for (int item = from[0]; item <= to[0]; ++item) {
    int begin = item == from[0] ? from[1] : 0;
    if (item == to[0]) {
      if (to[1] > begin) fn(item, begin, int(to[1]));
      break;
    }
    ItemRange r = item_range(p, v, num_units, item);
    fn(item, begin, r.kv_end - r.kv_begin);
  }
}

// Phase 5, per worker: number of pieces, scanned into worker_piece_begin.
MLADEC_HD void phase_count_pieces(const PlannerParams& p, const PlanView& v,
                                  int num_units, int w) {
  int32_t count = 0;
  for_each_worker_piece(p, v, num_units, w, [&](int, int, int) { ++count; });
  v.worker_piece_begin[w] = count;
}

// Phase 6, per worker: write its pieces; the piece starting a unit records
// itself in units[u].first_slot (temporarily) and the one ending it in
// unit_last_piece[u]. Pieces of a unit are consecutive, so their indices
// tell each unit's split count.
MLADEC_HD void phase_emit_pieces(const PlannerParams& p, const PlanView& v,
                                 int num_units, int w) {
  int32_t index = v.worker_piece_begin[w];
  for_each_worker_piece(p, v, num_units, w, [&](int item, int begin, int end) {
    ItemRange r = item_range(p, v, num_units, item);
    PlanPiece piece{r.unit, r.kv_begin + begin, r.kv_begin + end, -1};
    if (index < p.max_pieces) {
      v.pieces[index] = piece;
      if (piece.kv_begin == 0) v.units[r.unit].first_slot = index;
      if (piece.kv_end == v.units[r.unit].kv_len) {
        v.unit_last_piece[r.unit] = index;
      }
    }
    ++index;
  });
}

// Phase 7, per unit: split count; slot and combine demands, to be scanned
// into unit_last_piece (slots) and unit_item_begin (combine index).
MLADEC_HD void phase_count_splits(const PlanView& v, int u) {
  int splits = v.unit_last_piece[u] - v.units[u].first_slot + 1;
  v.units[u].num_splits = splits;
  v.unit_last_piece[u] = splits > 1 ? splits : 0;
  v.unit_item_begin[u] = splits > 1 ? 1 : 0;
}

// Phase 8, per piece: its split slot (units[u].first_slot still holds the
// unit's first piece index here).
MLADEC_HD void phase_piece_slot(const PlanView& v, int piece_index) {
  PlanPiece& piece = v.pieces[piece_index];
  const PlanUnit& unit = v.units[piece.unit];
  piece.slot = unit.num_splits > 1
                   ? v.unit_last_piece[piece.unit] +
                         (piece_index - unit.first_slot)
                   : -1;
}

// Phase 9, per unit: first split slot and combine list entry.
MLADEC_HD void phase_finish_unit(const PlanView& v, int u) {
  PlanUnit& unit = v.units[u];
  if (unit.num_splits > 1) {
    unit.first_slot = v.unit_last_piece[u];
    v.combine[v.unit_item_begin[u]] = u;
  } else {
    unit.first_slot = -1;
  }
}

}  // namespace mladec::detail

namespace mladec::detail {

// Empties the plan so that a decode launched with it does nothing.
template <typename Exec>
MLADEC_HD void abandon_plan(const PlannerParams& p, const PlanView& v,
                            Exec& ex, int32_t status) {
  ex.for_each(p.workers + 1, [&](int w) { v.worker_piece_begin[w] = 0; });
  if (ex.leader()) {
    *v.header = PlanHeader{};
    v.header->workers = p.workers;
    v.header->status = status;
  }
  ex.sync();
}

// The whole planning function. `Exec` supplies the parallelism:
//   leader()            true for exactly one participant
//   sync()              barrier between phases
//   for_each(n, fn)     fn(i) for every i in [0, n), any order
//   scan(array, n)      exclusive scan in place, array[n] = total, returns
//                       the total to every participant (includes a barrier)
// Returns kPlanOk or the status left in the header.
template <typename Exec>
MLADEC_HD int32_t run_planner(const PlannerParams& p, const PlanView& v,
                              Exec& ex) {
  if (ex.leader()) {
    *v.header = PlanHeader{};
    v.header->workers = p.workers;
  }
  ex.sync();

  ex.for_each(p.batch, [&](int b) { phase_count_units(p, v, b); });
  ex.sync();
  int64_t num_units = ex.scan(v.request_unit_begin, p.batch);
  int32_t status = v.header->status;
  if (status == kPlanOk && num_units > p.max_units) status = kPlanOverCapacity;
  if (status != kPlanOk) {
    ex.sync();  // everyone has read the header before it is rewritten
    abandon_plan(p, v, ex, status);
    return status;
  }
  int nu = int(num_units);

  ex.for_each(nu, [&](int u) { phase_fill_unit(p, v, u); });
  ex.sync();
  int64_t num_items = ex.scan(v.unit_item_begin, nu);
  if (num_items > p.max_items) {
    abandon_plan(p, v, ex, kPlanOverCapacity);
    return kPlanOverCapacity;
  }
  int ni = int(num_items);

  ex.for_each(ni, [&](int i) { phase_item_cost(p, v, nu, i); });
  ex.sync();
  ex.scan(v.item_cost_prefix, ni);

  ex.for_each(p.workers + 1,
              [&](int w) { phase_worker_cut(p, v, nu, ni, w); });
  ex.sync();
  ex.for_each(p.workers, [&](int w) { phase_count_pieces(p, v, nu, w); });
  ex.sync();
  int64_t num_pieces = ex.scan(v.worker_piece_begin, p.workers);
  if (num_pieces > p.max_pieces) {
    abandon_plan(p, v, ex, kPlanOverCapacity);
    return kPlanOverCapacity;
  }

  ex.for_each(p.workers, [&](int w) { phase_emit_pieces(p, v, nu, w); });
  ex.sync();
  ex.for_each(nu, [&](int u) { phase_count_splits(v, u); });
  ex.sync();
  int64_t num_slots = ex.scan(v.unit_last_piece, nu);
  int64_t num_combine = ex.scan(v.unit_item_begin, nu);
  if (num_slots > p.max_split_slots || num_combine > p.max_combine) {
    abandon_plan(p, v, ex, kPlanOverCapacity);
    return kPlanOverCapacity;
  }

  ex.for_each(int(num_pieces), [&](int i) { phase_piece_slot(v, i); });
  ex.sync();
  ex.for_each(nu, [&](int u) { phase_finish_unit(v, u); });
  if (ex.leader()) {
    v.header->num_units = nu;
    v.header->num_items = ni;
    v.header->num_pieces = int32_t(num_pieces);
    v.header->num_split_slots = int32_t(num_slots);
    v.header->num_combine = int32_t(num_combine);
    v.header->piece_overhead = int32_t(line_piece_overhead(p, v.item_cost_prefix, ni));
  }
  ex.sync();
  return kPlanOk;
}

}  // namespace mladec::detail
