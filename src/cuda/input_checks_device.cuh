#pragma once
// Checked mode on the device. The decode kernel's CTAs share out the checks
// of what the host cannot see without a copy — every length, every
// block-table entry a request uses, every index of the plan — then meet at
// a grid barrier, so that no CTA touches the cache or the outputs before
// every check is done, and either every CTA goes on or none does. Run by
// the decode kernel itself rather than by a kernel of its own: the separate
// check kernel cost 2-10 µs per eager step, mostly its launch and the
// kernel boundary (bench/NOTES.md v21, v24).
#include <cstddef>
#include <cstdint>

#include "src/cuda/decode_params.h"
#include "src/cuda/hopper.cuh"
#include "src/cuda/input_check_status.h"

namespace mladec::detail {

// How long a CTA waits at the barrier for the others before the grid gives
// up (kNotCoResident): with at most one worker per SM (decode() requires it
// in checked mode) they are all resident at once on a whole GPU, so only a
// GPU shared with fewer SMs (MPS, green contexts) can make one wait this long.
constexpr uint64_t kCheckBarrierTimeoutNs = 2'000'000'000;

__device__ __forceinline__ void report_check(InputCheckStatus* status, uint64_t generation,
                                             InputCheck check, int32_t what, int32_t index,
                                             int32_t value) {
  InputCheckFinding& finding = status->findings[check];
  using Word = unsigned long long;
  // The first thread to stamp this call's generation fills in the details.
  if (atomicExch(reinterpret_cast<Word*>(&finding.generation), Word(generation)) !=
      Word(generation)) {
    finding.field_or_request = what;
    finding.index = index;
    finding.value = value;
  }
  atomicExch(reinterpret_cast<Word*>(&status->failed_generation), Word(generation));
}

// Whether this call's checks failed, for a kernel that runs after the
// decode kernel's grid has ended (the combine): no barrier to wait for.
__device__ __forceinline__ bool checked_mode_failed(const DecodeParams& p) {
  return p.check_status != nullptr &&
         p.check_status->failed_generation == p.check_generation;
}

__device__ __forceinline__ bool in_check_range(int64_t value, int64_t lo, int64_t hi) {
  return value >= lo && value < hi;  // [lo, hi)
}

// The plan's checks of one entry of each of its arrays; the header's counts
// are known to be within the layout's capacities.
__device__ __forceinline__ void check_worker_range(const DecodeParams& p, const PlanHeader& h,
                                                   int64_t w) {
  const InputCheckLimits& c = p.check_limits;
  const int32_t first = p.worker_piece_begin[w], next = p.worker_piece_begin[w + 1];
  const bool ok = first >= 0 && first <= next && next <= h.num_pieces &&
                  (w > 0 || first == 0) && (w + 1 < c.workers || next == h.num_pieces);
  if (!ok) {
    report_check(p.check_status, p.check_generation, kPlanCorrupt, kFieldWorkerRange,
                 int32_t(w), first);
  }
}

__device__ __forceinline__ void check_piece(const DecodeParams& p, const PlanHeader& h,
                                            int64_t i) {
  const auto fail = [&](PlanField field, int32_t value) {
    report_check(p.check_status, p.check_generation, kPlanCorrupt, field, int32_t(i), value);
  };
  const PlanPiece piece = p.pieces[i];
  if (!in_check_range(piece.unit, 0, h.num_units)) return fail(kFieldPieceUnit, piece.unit);
  const int32_t kv_len = p.units[piece.unit].kv_len;
  if (piece.kv_begin < 0 || piece.kv_begin > piece.kv_end || piece.kv_end > kv_len) {
    fail(kFieldPieceRange, piece.kv_end);
  }
  if (piece.slot != -1 && !in_check_range(piece.slot, 0, h.num_split_slots)) {
    fail(kFieldPieceSlot, piece.slot);
  }
}

__device__ __forceinline__ void check_unit(const DecodeParams& p, const PlanHeader& h,
                                           int64_t u) {
  const InputCheckLimits& c = p.check_limits;
  const auto fail = [&](PlanField field, int32_t value) {
    report_check(p.check_status, p.check_generation, kPlanCorrupt, field, int32_t(u), value);
  };
  const PlanUnit unit = p.units[u];
  if (!in_check_range(unit.request, 0, c.batch)) return fail(kFieldUnitRequest, unit.request);
  if (unit.kv_len != c.seqlens[unit.request]) fail(kFieldUnitKvLen, unit.kv_len);
  if (unit.q_start < 0 || unit.q_len < 0 || int64_t(unit.q_start) + unit.q_len > c.total_q) {
    fail(kFieldUnitQueryRange, unit.q_start);
  }
  if (unit.row_begin < 0 || !in_check_range(unit.row_count, 1, c.tile_rows + 1) ||
      int64_t(unit.row_begin) + unit.row_count > int64_t(unit.q_len) * p.num_heads) {
    fail(kFieldUnitRows, unit.row_count);
  }
  const bool split = unit.num_splits > 1;
  if (unit.num_splits < 1 ||
      (split && (unit.first_slot < 0 ||
                 int64_t(unit.first_slot) + unit.num_splits > h.num_split_slots))) {
    fail(kFieldUnitSlots, unit.first_slot);
  }
}

__device__ __forceinline__ void check_combine_entry(const DecodeParams& p,
                                                    const PlanHeader& h, int64_t i) {
  const int32_t unit = p.combine[i];
  if (!in_check_range(unit, 0, h.num_units) || p.units[unit].num_splits < 2) {
    report_check(p.check_status, p.check_generation, kPlanCorrupt, kFieldCombineEntry,
                 int32_t(i), unit);
  }
}

// This thread's share of the checks. Each check's entries form one index
// space over the grid's threads, so the checks run side by side: a thread
// makes at most three dependent loads (the header, an entry, what the entry
// points at), and the header's load overlaps the block table's.
__device__ __forceinline__ void run_input_checks(const DecodeParams& p) {
  const InputCheckLimits& c = p.check_limits;
  InputCheckStatus* status = p.check_status;
  const uint64_t generation = p.check_generation;
  const int64_t first = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  const PlanHeader h = *p.header;

  // The block-table entries each request's KV uses, then the lengths.
  const int64_t table_end = int64_t(c.batch) * c.max_pages_per_request;
  for (int64_t i = first; i < table_end + c.batch; i += stride) {
    if (i >= table_end) {
      const int64_t b = i - table_end;
      const int32_t len = c.seqlens[b];
      if (len < 0 || len > c.max_kv_len) {
        report_check(status, generation, kSeqLenOutOfRange, int32_t(b), 0, len);
      }
      continue;
    }
    const int64_t b = i / c.max_pages_per_request;
    const int64_t column = i % c.max_pages_per_request;
    const int64_t len = min(int64_t(max(c.seqlens[b], 0)), c.max_kv_len);
    if (column * p.page_size >= len) continue;
    const int32_t page = p.block_table[b * p.block_table_stride + column];
    if (!in_check_range(page, 0, c.num_pages)) {
      report_check(status, generation, kBlockTableOutOfRange, int32_t(b), int32_t(column), page);
    }
  }

  // The plan: its counts first; without valid ones its arrays are not read.
  const bool counts_ok =
      h.status == 0 && in_check_range(h.num_units, 0, c.max_units + 1) &&
      in_check_range(h.num_pieces, 0, c.max_pieces + 1) &&
      in_check_range(h.num_combine, 0, c.max_combine + 1) &&
      in_check_range(h.num_split_slots, 0, c.max_split_slots + 1) && h.workers == c.workers;
  if (!counts_ok) {
    if (first == 0) {
      if (h.status != 0) {
        report_check(status, generation, kPlannerRejectedLengths, 0, 0, h.status);
      } else {
        report_check(status, generation, kPlanCorrupt, kFieldHeaderCounts, 0, 0);
      }
    }
    return;
  }
  const int64_t workers_end = c.workers;
  const int64_t pieces_end = workers_end + h.num_pieces;
  const int64_t units_end = pieces_end + h.num_units;
  const int64_t combine_end = units_end + h.num_combine;
  for (int64_t i = first; i < combine_end; i += stride) {
    if (i < workers_end) {
      check_worker_range(p, h, i);
    } else if (i < pieces_end) {
      check_piece(p, h, i - workers_end);
    } else if (i < units_end) {
      check_unit(p, h, i - pieces_end);
    } else {
      check_combine_entry(p, h, i - units_end);
    }
  }
}

// Thread 0 of each CTA, after its CTA's checks: arrives, then waits for
// every CTA of the grid. True when all of them arrived; false for every CTA
// when one gave up waiting first — the word's given-up flag is set only by
// a compare-and-swap against a count short of the grid, so the grid agrees
// on one answer. A later call's CTAs cannot arrive early: they wait for this
// grid's end first (griddepcontrol.wait, through the combine kernel).
__device__ __forceinline__ bool checks_grid_barrier(InputCheckStatus* status,
                                                    uint64_t generation) {
  using Word = unsigned long long;
  Word* word = reinterpret_cast<Word*>(&status->barrier);
  volatile Word* watched = word;
  const Word tag = (Word(generation) & kBarrierTagMask) << kBarrierTagShift;
  const Word all = tag | gridDim.x;
  __threadfence();  // this CTA's findings before its arrival
  // The word still holds an earlier call's tag until the first arrival
  // swaps in this call's with a count of one; every other arrival is one
  // atomicAdd, which the L2 pipelines (a compare-and-swap loop per arrival
  // serialized 132 round trips: +45 µs per call, bench/NOTES.md v24).
  const Word seen = *watched;
  Word before;
  if ((seen >> kBarrierTagShift) << kBarrierTagShift != tag &&
      atomicCAS(word, seen, tag | 1) == seen) {
    before = tag;
  } else {
    before = atomicAdd(word, Word(1));
  }
  if (before & kBarrierGivenUp) return false;
  const uint64_t start = global_timer_ns();
  for (;;) {
    const Word now = *watched;
    if (now == all) break;
    if (now & kBarrierGivenUp) return false;
    if (global_timer_ns() - start > kCheckBarrierTimeoutNs &&
        atomicCAS(word, now, now | kBarrierGivenUp) == now) {
      return false;
    }
    __nanosleep(64);
  }
  __threadfence();  // every CTA's findings after the barrier
  return true;
}

// One warp of CTA 0 copies the status to the host (DecodeParams::
// check_status_host, when set), the copied generation last so that it
// proves the rest arrived.
__device__ __forceinline__ void copy_check_status_to_host(const DecodeParams& p) {
  if (p.check_status_host == nullptr) return;
  constexpr int kWords = int(sizeof(InputCheckStatus) / 4);
  constexpr int kMarkerWord = int(offsetof(InputCheckStatus, copied_generation) / 4);
  const volatile uint32_t* words = reinterpret_cast<const volatile uint32_t*>(p.check_status);
  for (int w = threadIdx.x % 32; w < kWords; w += 32) {
    if (w != kMarkerWord && w != kMarkerWord + 1) p.check_status_host[w] = words[w];
  }
  __syncwarp();
  if (threadIdx.x % 32 == 0) {
    __threadfence_system();
    *reinterpret_cast<volatile unsigned long long*>(p.check_status_host + kMarkerWord) =
        p.check_generation;
  }
}

// The decode kernel's first step in checked mode (every thread of every
// CTA, after griddepcontrol.wait): true when this CTA must return at once —
// a check failed somewhere in the grid, or the CTAs could not all meet.
__device__ __forceinline__ bool checked_mode_stops_cta(const DecodeParams& p) {
  run_input_checks(p);
  __syncthreads();
  int stop = 0;
  if (threadIdx.x == 0) {
    if (!checks_grid_barrier(p.check_status, p.check_generation)) {
      const uint64_t seen = *reinterpret_cast<volatile uint64_t*>(&p.check_status->barrier);
      report_check(p.check_status, p.check_generation, kNotCoResident, 0, 0,
                   int32_t(seen & kBarrierCountMask));
    }
    stop = *reinterpret_cast<volatile uint64_t*>(&p.check_status->failed_generation) ==
           p.check_generation;
  }
  stop = __syncthreads_or(stop);
  if (blockIdx.x == 0 && threadIdx.x < 32) copy_check_status_to_host(p);
  return stop != 0;
}

}  // namespace mladec::detail
