// Merges the split pieces of each split unit: out = Σ_k w_k·o_k / Σ_k w_k with
// w_k = exp(lse_k - max lse), lse = max + ln Σ w_k.
//
// The sums follow one fixed order, whatever the form below and whichever
// worker ran which piece, so a request's result depends only on its own
// splits (FixedChunk's batch invariance): the S splits form groups of L
// consecutive ones (L = S up to kGroups splits, else ceil(S / kGroups)),
// each group is summed in split order by fused multiply-adds from zero, and
// the groups' sums are added in group order. Up to kGroups splits that is
// one plain chain in split order.
//
// Two forms, chosen by the host from the layout alone (src/core/combine_forms.h):
// - row form: a warp per row, 16 columns per lane, for the large batches,
//   where a unit has a few splits and the rows are many; or, while the rows
//   are few (combine_row_warps), four warps per row with 4 columns per lane
//   and twice the splits' loads in flight;
// - chunk form: a CTA per 128-column chunk of a row, warp g summing group g,
//   for the few rows of a small batch, whose units are split over every SM
//   (1×32768: 132 splits per row; the row form's warp read them ~40 µs,
//   bench/NOTES.md v25).
// The grid covers the plan's capacity; CTAs and warps past the plan's split
// units or rows return at once, so the launch never depends on the lengths
// (CUDA-graph replay).
#include <cstdint>

#include "mladec/constants.h"
#include "src/core/combine_forms.h"
#include "src/cuda/async_copy.cuh"
#include "src/cuda/cuda_check.h"
#include "src/cuda/dependent_launch.h"
#include "src/cuda/hopper.cuh"
#include "src/cuda/input_checks_device.cuh"
#include "src/cuda/launchers.h"
#include "src/cuda/step_timeline.cuh"
#include "src/cuda/step_timeline.h"

namespace mladec::detail {
namespace {

constexpr int kGroups = 8;
constexpr int kWarps = 8;  // per CTA, both forms
// A split unit's row as the combine sees it.
struct CombineRow {
  PlanUnit unit;
  int row;
  const float* lse;  // split k's LSE at lse[k * slot_stride]
  const float* out;  // split k's 512 values at out + k * slot_stride * 512
  int64_t slot_stride;
};

// Returns false when this entry or row is past the plan's.
__device__ __forceinline__ bool find_row(const DecodeParams& p, int entry, int row,
                                         CombineRow& c) {
  if (entry >= p.header->num_combine) return false;
  c.unit = p.units[p.combine[entry]];
  if (row >= c.unit.row_count) return false;
  c.row = row;
  c.slot_stride = int64_t(p.slot_rows);
  const int64_t first = int64_t(c.unit.first_slot) * p.slot_rows + row;
  c.lse = p.partial_lse + first;
  c.out = p.partial_out + first * kLatentDim;
  return true;
}

// Every split's LSE is read once per warp, 32 at a time.
__device__ __forceinline__ float max_split_lse(const CombineRow& c, int lane) {
  float m = -INFINITY;
  for (int k = lane; k < c.unit.num_splits; k += 32) m = fmaxf(m, c.lse[k * c.slot_stride]);
#pragma unroll
  for (int offset = 16; offset > 0; offset /= 2) {
    m = fmaxf(m, __shfl_xor_sync(0xffffffffu, m, offset));
  }
  return m;
}

__device__ __forceinline__ float4 load_columns(const CombineRow& c, int k, int column) {
  return *reinterpret_cast<const float4*>(c.out + int64_t(k) * c.slot_stride * kLatentDim +
                                          column);
}

// The splits' group length (see above).
__device__ __forceinline__ int group_length(int splits) {
  return splits <= kGroups ? splits : (splits + kGroups - 1) / kGroups;
}

// Splits whose loads a warp issues before their arithmetic (both forms):
// kSplitBatch splits' LSEs and 4 columns each, from split k0 (none past end).
constexpr int kSplitBatch = 4;
struct SplitBatch {
  float lse[kSplitBatch];
  float4 v[kSplitBatch];
};
__device__ __forceinline__ SplitBatch load_batch(const CombineRow& c, int k0, int end,
                                                 int column) {
  SplitBatch b;
#pragma unroll
  for (int j = 0; j < kSplitBatch; ++j) {
    const int k = k0 + j;
    b.lse[j] = k < end ? c.lse[k * c.slot_stride] : -INFINITY;
    b.v[j] = k < end ? load_columns(c, k, column) : make_float4(0.f, 0.f, 0.f, 0.f);
  }
  return b;
}

// The terms of splits [begin, end) for 4 columns, in split order, the first
// batch already loaded (before the LSE maximum was known: its loads do not
// depend on it); the next batch's loads are issued before a batch's
// arithmetic.
struct GroupSum {
  float4 sum;
  float weight;
};
__device__ __forceinline__ GroupSum sum_splits(const CombineRow& c, float max_lse, int begin,
                                               int end, int column, SplitBatch batch) {
  GroupSum g{make_float4(0.f, 0.f, 0.f, 0.f), 0.f};
  for (int k0 = begin; k0 < end; k0 += kSplitBatch) {
    const SplitBatch b = batch;
    if (k0 + kSplitBatch < end) batch = load_batch(c, k0 + kSplitBatch, end, column);
#pragma unroll
    for (int j = 0; j < kSplitBatch; ++j) {
      if (k0 + j >= end) break;
      const float w = expf(b.lse[j] - max_lse);
      g.sum = make_float4(__fmaf_rn(w, b.v[j].x, g.sum.x), __fmaf_rn(w, b.v[j].y, g.sum.y),
                          __fmaf_rn(w, b.v[j].z, g.sum.z), __fmaf_rn(w, b.v[j].w, g.sum.w));
      g.weight = __fadd_rn(g.weight, w);
    }
  }
  return g;
}

__device__ __forceinline__ void add_group(GroupSum& total, const GroupSum& g) {
  total.sum = make_float4(__fadd_rn(total.sum.x, g.sum.x), __fadd_rn(total.sum.y, g.sum.y),
                          __fadd_rn(total.sum.z, g.sum.z), __fadd_rn(total.sum.w, g.sum.w));
  total.weight = __fadd_rn(total.weight, g.weight);
}

__device__ __forceinline__ uint16_t* output_row(const DecodeParams& p, const CombineRow& c,
                                                int64_t& token, int& head) {
  const int index = c.unit.row_begin + c.row;
  token = c.unit.q_start + index / p.num_heads;
  head = index % p.num_heads;
  return p.out + token * p.out_token_stride + head * p.out_head_stride;
}

__device__ __forceinline__ float inverse_weight(float weight) {
  return weight > 0.f ? 1.f / weight : 0.f;
}

// 4 merged columns, scaled by the inverse weight sum, as bf16.
__device__ __forceinline__ void store_columns(uint16_t* out, int column, float4 sum,
                                              float inverse) {
  *reinterpret_cast<uint2*>(out + column) =
      make_uint2(pack_bf16x2(sum.x * inverse, sum.y * inverse),
                 pack_bf16x2(sum.z * inverse, sum.w * inverse));
}

__device__ __forceinline__ void store_lse(const DecodeParams& p, int64_t token, int head,
                                          float max_lse, float weight) {
  p.lse[token * p.lse_token_stride + head * p.lse_head_stride] =
      weight > 0.f ? max_lse + logf(weight) : -INFINITY;
}

// Whether a combine CTA reads its row's plan entries (find_row) before
// start_combine_cta's wait rather than after it. Before: the chain header
// -> combine entry -> unit took three L2 round trips after the wait (the
// combine phase of 16×4096 h_q 128 ran 4-5.7 µs past it, bench/NOTES.md
// v91). They are the planner's, not the decode's, and the planner is done:
// this grid launches only once every decode CTA has passed its own wait
// for the kernel before it (wait_for_plan), and the plan comes before the
// decode in the stream. In checked mode the plan is unchecked until the
// decode's CTAs have met, so it is read after the wait. Every CTA waits,
// with a row or none: a grid that could end before the decode would
// release a dependent next launch (the next step's decode) early.
__device__ __forceinline__ bool plan_read_before_wait(const DecodeParams& p) {
  return p.check_status == nullptr;
}

// Every combine CTA's start: waits for the decode kernel's partials
// (dependent launch). False when checked mode stopped the step.
__device__ __forceinline__ bool start_combine_cta(const DecodeParams& p) {
  if (threadIdx.x == 0) timeline(kTimelineStart);
  // The next step's decode, launched dependent, may take the SMs this grid
  // leaves once all its CTAs have started (it waits there for this grid's
  // end before it touches anything: its partials overwrite the ones read
  // here). Without the trigger it launched only after the last combine CTA
  // ended.
  allow_dependent_launch();
  grid_dependency_wait();
  if (threadIdx.x == 0) timeline(kTimelineWaited);
  return !checked_mode_failed(p);
}

// start_combine_cta with the CTA's row (entry `entry`, row `row`) found
// before or after the wait, as plan_read_before_wait says. False when the
// step stopped or the plan has no such row.
__device__ __forceinline__ bool start_combine_row(const DecodeParams& p, int entry, int row,
                                                  CombineRow& c) {
  const bool early = plan_read_before_wait(p);
  bool found = early && find_row(p, entry, row, c);
  if (!start_combine_cta(p)) return false;
  if (!early) found = find_row(p, entry, row, c);
  return found;
}

// Row form: warp w of block b merges part w % kWarpsPerRow (its columns
// part * 512 / kWarpsPerRow onwards) of row ((b % row_blocks) * kWarps + w) /
// kWarpsPerRow of combine entry b / row_blocks. Each column's sums run in the
// same order whatever kWarpsPerRow, so both instances give the same bits.
template <int kWarpsPerRow>
__global__ void __launch_bounds__(kWarps * 32)
    combine_rows_kernel(const __grid_constant__ DecodeParams p, int row_blocks) {
  constexpr int kColumnsPerLane = kLatentDim / (32 * kWarpsPerRow);
  // Splits whose loads are in flight: as many registers for 4 columns at 8
  // splits as for 16 at 4.
  constexpr int kBatch = kWarpsPerRow == 1 ? kSplitBatch : 2 * kSplitBatch;
  CombineRow c;
  const int warp = (blockIdx.x % row_blocks) * kWarps + threadIdx.x / 32;
  if (!start_combine_row(p, blockIdx.x / row_blocks, warp / kWarpsPerRow, c)) return;
  const int lane = threadIdx.x % 32;
  const int part = warp % kWarpsPerRow;
  // The column of this lane's i-th 4 columns.
  const auto column = [&](int i) {
    return part * (kLatentDim / kWarpsPerRow) + (i * 32 + lane) * 4;
  };
  // sum_splits' arithmetic for kColumnsPerLane columns, kBatch splits' loads
  // in flight across group ends; a group's sum joins the total as the group
  // ends. The first batch is loaded before the LSE maximum is known (one
  // round trip less on the step's critical path).
  const int splits = c.unit.num_splits;
  const int length = group_length(splits);
  float lse[kBatch];
  float4 v[kBatch][kColumnsPerLane / 4];
  const auto load = [&](int k0) {
#pragma unroll
    for (int j = 0; j < kBatch; ++j) {
      const int k = k0 + j;
      lse[j] = k < splits ? c.lse[k * c.slot_stride] : -INFINITY;
#pragma unroll
      for (int i = 0; i < kColumnsPerLane / 4; ++i) {
        v[j][i] = k < splits ? load_columns(c, k, column(i)) : make_float4(0.f, 0.f, 0.f, 0.f);
      }
    }
  };
  load(0);
  const float max_lse = max_split_lse(c, lane);
  int64_t token;
  int head;
  uint16_t* out = output_row(p, c, token, head);
  float total[kColumnsPerLane] = {}, sum[kColumnsPerLane] = {};
  float total_weight = 0.f, weight = 0.f;
  for (int k0 = 0; max_lse != -INFINITY && k0 < splits; k0 += kBatch) {
    if (k0 > 0) load(k0);
#pragma unroll
    for (int j = 0; j < kBatch; ++j) {
      const int k = k0 + j;
      if (k >= splits) break;
      const float w = expf(lse[j] - max_lse);
      weight = __fadd_rn(weight, w);
#pragma unroll
      for (int i = 0; i < kColumnsPerLane / 4; ++i) {
        sum[4 * i] = __fmaf_rn(w, v[j][i].x, sum[4 * i]);
        sum[4 * i + 1] = __fmaf_rn(w, v[j][i].y, sum[4 * i + 1]);
        sum[4 * i + 2] = __fmaf_rn(w, v[j][i].z, sum[4 * i + 2]);
        sum[4 * i + 3] = __fmaf_rn(w, v[j][i].w, sum[4 * i + 3]);
      }
      if ((k + 1) % length != 0 && k + 1 != splits) continue;
      // A group ends: the first one is the total, later ones are added.
      const bool first = k < length;
#pragma unroll
      for (int i = 0; i < kColumnsPerLane; ++i) {
        total[i] = first ? sum[i] : __fadd_rn(total[i], sum[i]);
        sum[i] = 0.f;
      }
      total_weight = first ? weight : __fadd_rn(total_weight, weight);
      weight = 0.f;
    }
  }
  const float inverse = inverse_weight(total_weight);
#pragma unroll
  for (int i = 0; i < kColumnsPerLane / 4; ++i) {
    store_columns(out, column(i),
                  make_float4(total[4 * i], total[4 * i + 1], total[4 * i + 2],
                              total[4 * i + 3]),
                  inverse);
  }
  if (part == 0 && lane == 0) store_lse(p, token, head, max_lse, total_weight);
  if (threadIdx.x == 0) timeline(kTimelineEnd);
}

// Chunk form: block b merges 128-column chunk b % kCombineChunksPerRow of row
// (b / kCombineChunksPerRow) % slot_rows of combine entry b / (slot_rows *
// kCombineChunksPerRow); warp g sums group g. Three CTAs per SM, as it ran with
// 70 registers: left to itself, ptxas aimed at four (64 registers) and
// spilled once the plan was read before the wait.
__global__ void __launch_bounds__(kWarps * 32, 3)
    combine_chunks_kernel(const __grid_constant__ DecodeParams p) {
  static_assert(kWarps == kGroups, "a warp per group");
  __shared__ float4 group_sums[kGroups][32];
  __shared__ float group_weights[kGroups];
  const int chunk = blockIdx.x % kCombineChunksPerRow;
  const int row_index = blockIdx.x / kCombineChunksPerRow;
  CombineRow c;
  if (!start_combine_row(p, row_index / p.slot_rows, row_index % p.slot_rows, c)) return;
  const int lane = threadIdx.x % 32, group = threadIdx.x / 32;
  const int column = chunk * kCombineChunkColumns + lane * 4;
  const int length = group_length(c.unit.num_splits);
  const int begin = group * length, end = min(begin + length, c.unit.num_splits);
  // This warp's first batch before the LSE maximum (its loads do not
  // depend on it): one round trip less.
  const SplitBatch first = load_batch(c, begin, end, column);
  const float max_lse = max_split_lse(c, lane);
  int64_t token;
  int head;
  uint16_t* out = output_row(p, c, token, head);
  const int groups = max_lse == -INFINITY ? 0 : (c.unit.num_splits + length - 1) / length;
  if (group < groups) {
    const GroupSum g = sum_splits(c, max_lse, begin, end, column, first);
    group_sums[group][lane] = g.sum;
    if (lane == 0) group_weights[group] = g.weight;
  }
  __syncthreads();
  if (group != 0) return;
  GroupSum total{make_float4(0.f, 0.f, 0.f, 0.f), 0.f};
  if (groups > 0) {
    total = {group_sums[0][lane], group_weights[0]};
    for (int g = 1; g < groups; ++g) add_group(total, {group_sums[g][lane], group_weights[g]});
  }
  store_columns(out, column, total.sum, inverse_weight(total.weight));
  if (chunk == 0 && lane == 0) store_lse(p, token, head, max_lse, total.weight);
  if (threadIdx.x == 0) timeline(kTimelineEnd);
}

}  // namespace

#ifdef MLADEC_BLOCK_TRACE
void print_combine_timeline(std::FILE* out) { print_timeline_slots(out, "combine"); }
#endif

void launch_combine(const DecodeParams& params, const PlanLayout& layout,
                    cudaStream_t stream) {
  if (layout.max_combine == 0) return;
  if (combine_by_chunks(layout)) {
    launch_dependent(combine_chunks_kernel, dim3(combine_chunk_blocks(layout)),
                     dim3(kWarps * 32), 0, stream, "combine_chunks_kernel launch", params);
    return;
  }
  const int warps_per_row = combine_row_warps(layout);
  const int row_blocks = (layout.slot_rows * warps_per_row + kWarps - 1) / kWarps;
  launch_dependent(warps_per_row == kQuarterRowWarps ? combine_rows_kernel<kQuarterRowWarps>
                                                     : combine_rows_kernel<1>,
                   dim3(layout.max_combine * row_blocks), dim3(kWarps * 32), 0, stream,
                   "combine_rows_kernel launch", params, row_blocks);
}

}  // namespace mladec::detail
