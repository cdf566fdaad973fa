// Merges the split pieces of each split unit: out = Σ_k w_k·o_k / Σ_k w_k with
// w_k = exp(lse_k - max lse), lse = max + ln Σ w_k, in slot (= KV) order so
// the result does not depend on which worker ran which piece.
//
// One warp per row (16 columns per lane), so a unit split over many workers
// is merged by many SMs at once. The grid covers the plan's capacity; warps
// past the plan's split units or rows return at once, so the launch never
// depends on the lengths (CUDA-graph replay).
#include <cstdint>

#include "mladec/constants.h"
#include "src/cuda/cuda_check.h"
#include "src/cuda/launchers.h"
#include "src/cuda/async_copy.cuh"
#include "src/cuda/dependent_launch.h"
#include "src/cuda/hopper.cuh"

namespace mladec::detail {
namespace {

constexpr int kRowsPerBlock = 8;
constexpr int kColumnsPerLane = kLatentDim / 32;

__global__ void __launch_bounds__(kRowsPerBlock * 32)
    combine_kernel(const __grid_constant__ DecodeParams p, int blocks_per_unit) {
  grid_dependency_wait();  // the decode kernel's partials (dependent launch)
  if (p.check_status != nullptr && p.check_status->failed_generation == p.check_generation) {
    return;
  }
  const int entry = blockIdx.x / blocks_per_unit;
  if (entry >= p.header->num_combine) return;
  const PlanUnit unit = p.units[p.combine[entry]];
  const int r = (blockIdx.x % blocks_per_unit) * kRowsPerBlock + threadIdx.x / 32;
  if (r >= unit.row_count) return;
  const int lane = threadIdx.x % 32;
  const float* lse = p.partial_lse + int64_t(unit.first_slot) * p.slot_rows + r;
  const int64_t slot_stride = int64_t(p.slot_rows);

  // Splits are read kBatch at a time, all loads of a batch issued before
  // any is used: a request split over every SM (one long context) has 132
  // splits per row, and one split after another the warp waited for every
  // load (bench/NOTES.md v18). Same order of additions as one at a time.
  constexpr int kBatch = 4;
  float max_lse = -INFINITY;
#pragma unroll 8
  for (int k = 0; k < unit.num_splits; ++k) max_lse = fmaxf(max_lse, lse[k * slot_stride]);

  float sum[kColumnsPerLane] = {};
  float weight_sum = 0.f;
  if (max_lse != -INFINITY) {
    const float* part = p.partial_out +
                        (int64_t(unit.first_slot) * p.slot_rows + r) * kLatentDim;
    for (int k0 = 0; k0 < unit.num_splits; k0 += kBatch) {
      float split_lse[kBatch];
      float4 v[kBatch][kColumnsPerLane / 4];
#pragma unroll
      for (int j = 0; j < kBatch; ++j) {
        const int k = k0 + j;
        split_lse[j] = k < unit.num_splits ? lse[k * slot_stride] : -INFINITY;
        const float* row = part + int64_t(k) * slot_stride * kLatentDim;
#pragma unroll
        for (int i = 0; i < kColumnsPerLane / 4; ++i) {
          v[j][i] = k < unit.num_splits
                        ? *reinterpret_cast<const float4*>(row + (i * 32 + lane) * 4)
                        : make_float4(0.f, 0.f, 0.f, 0.f);
        }
      }
#pragma unroll
      for (int j = 0; j < kBatch; ++j) {
        if (k0 + j >= unit.num_splits) break;
        const float weight = expf(split_lse[j] - max_lse);
        weight_sum += weight;
#pragma unroll
        for (int i = 0; i < kColumnsPerLane / 4; ++i) {
          sum[4 * i] += weight * v[j][i].x;
          sum[4 * i + 1] += weight * v[j][i].y;
          sum[4 * i + 2] += weight * v[j][i].z;
          sum[4 * i + 3] += weight * v[j][i].w;
        }
      }
    }
  }
  const float inverse = weight_sum > 0.f ? 1.f / weight_sum : 0.f;
  const int index = unit.row_begin + r;
  const int64_t token = unit.q_start + index / p.num_heads;
  const int head = index % p.num_heads;
  uint16_t* out = p.out + token * p.out_token_stride + head * p.out_head_stride;
#pragma unroll
  for (int i = 0; i < kColumnsPerLane / 4; ++i) {
    *reinterpret_cast<uint2*>(out + (i * 32 + lane) * 4) =
        make_uint2(pack_bf16x2(sum[4 * i] * inverse, sum[4 * i + 1] * inverse),
                   pack_bf16x2(sum[4 * i + 2] * inverse, sum[4 * i + 3] * inverse));
  }
  if (lane == 0) {
    p.lse[token * p.lse_token_stride + head * p.lse_head_stride] =
        weight_sum > 0.f ? max_lse + logf(weight_sum) : -INFINITY;
  }
}

}  // namespace

void launch_combine(const DecodeParams& params, int max_combine,
                    cudaStream_t stream) {
  if (max_combine == 0) return;
  const int blocks_per_unit = (params.slot_rows + kRowsPerBlock - 1) / kRowsPerBlock;
  launch_dependent(combine_kernel, dim3(max_combine * blocks_per_unit),
                   dim3(kRowsPerBlock * 32), 0, stream, "combine_kernel launch", params,
                   blocks_per_unit);
}

}  // namespace mladec::detail
