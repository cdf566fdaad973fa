// Merges the split pieces of each split unit: out = Σ_k w_k·o_k / Σ_k w_k with
// w_k = exp(lse_k - max lse), lse = max + ln Σ w_k, in slot (= KV) order so
// the result does not depend on which worker ran which piece.
//
// A work item is one row's 64-column chunk of one split unit, for one warp
// (2 columns per lane): a request split over every SM (one long context)
// has 8 items per row, where one warp per row read all its splits
// serially. The grid is fixed (never the lengths, for CUDA-graph replay)
// and its warps stride over the items the plan has.
#include <algorithm>
#include <cstdint>

#include "mladec/constants.h"
#include "src/cuda/async_copy.cuh"
#include "src/cuda/cuda_check.h"
#include "src/cuda/dependent_launch.h"
#include "src/cuda/hopper.cuh"
#include "src/cuda/launchers.h"

namespace mladec::detail {
namespace {

constexpr int kWarpsPerBlock = 8;
constexpr int kChunkColumns = 64;
constexpr int kChunksPerRow = kLatentDim / kChunkColumns;
constexpr int kMaxBlocks = 4 * 132;  // one wave on an H200, whatever the capacity

__global__ void __launch_bounds__(kWarpsPerBlock * 32)
    combine_kernel(const __grid_constant__ DecodeParams p) {
  grid_dependency_wait();  // the decode kernel's partials (dependent launch)
  if (p.check_status != nullptr && *p.check_status == p.check_generation) return;
  const int lane = threadIdx.x % 32;
  const int64_t slot_stride = p.slot_rows;
  const int64_t items = int64_t(p.header->num_combine) * p.slot_rows * kChunksPerRow;
  const int64_t warps = int64_t(gridDim.x) * kWarpsPerBlock;
  for (int64_t item = int64_t(blockIdx.x) * kWarpsPerBlock + threadIdx.x / 32; item < items;
       item += warps) {
    const int chunk = int(item % kChunksPerRow);
    const int r = int(item / kChunksPerRow % p.slot_rows);
    const PlanUnit unit = p.units[p.combine[item / kChunksPerRow / p.slot_rows]];
    if (r >= unit.row_count) continue;
    const float* lse = p.partial_lse + int64_t(unit.first_slot) * p.slot_rows + r;

    float max_lse = -INFINITY;
#pragma unroll 8
    for (int k = 0; k < unit.num_splits; ++k) max_lse = fmaxf(max_lse, lse[k * slot_stride]);

    const int column = chunk * kChunkColumns + 2 * lane;
    float2 sum = make_float2(0.f, 0.f);
    float weight_sum = 0.f;
    if (max_lse != -INFINITY) {
      const float* part = p.partial_out +
                          (int64_t(unit.first_slot) * p.slot_rows + r) * kLatentDim + column;
#pragma unroll 8
      for (int k = 0; k < unit.num_splits; ++k) {
        const float weight = expf(lse[k * slot_stride] - max_lse);
        weight_sum += weight;
        const float2 v = *reinterpret_cast<const float2*>(part + k * slot_stride * kLatentDim);
        sum.x += weight * v.x;
        sum.y += weight * v.y;
      }
    }
    const float inverse = weight_sum > 0.f ? 1.f / weight_sum : 0.f;
    const int index = unit.row_begin + r;
    const int64_t token = unit.q_start + index / p.num_heads;
    const int head = index % p.num_heads;
    uint16_t* out = p.out + token * p.out_token_stride + head * p.out_head_stride;
    *reinterpret_cast<uint32_t*>(out + column) =
        pack_bf16x2(sum.x * inverse, sum.y * inverse);
    if (chunk == 0 && lane == 0) {
      p.lse[token * p.lse_token_stride + head * p.lse_head_stride] =
          weight_sum > 0.f ? max_lse + logf(weight_sum) : -INFINITY;
    }
  }
}

}  // namespace

void launch_combine(const DecodeParams& params, int max_combine,
                    cudaStream_t stream) {
  if (max_combine == 0) return;
  const int64_t warps = int64_t(max_combine) * params.slot_rows * kChunksPerRow;
  const int blocks =
      int(std::min<int64_t>(kMaxBlocks, (warps + kWarpsPerBlock - 1) / kWarpsPerBlock));
  launch_dependent(combine_kernel, dim3(blocks), dim3(kWarpsPerBlock * 32), 0, stream,
                   "combine_kernel launch", params);
}

}  // namespace mladec::detail
