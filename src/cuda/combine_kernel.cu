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
  if (p.check_status != nullptr && *p.check_status == p.check_generation) return;
  const int entry = blockIdx.x / blocks_per_unit;
  if (entry >= p.header->num_combine) return;
  const PlanUnit unit = p.units[p.combine[entry]];
  const int r = (blockIdx.x % blocks_per_unit) * kRowsPerBlock + threadIdx.x / 32;
  if (r >= unit.row_count) return;
  const int lane = threadIdx.x % 32;
  const float* lse = p.partial_lse + int64_t(unit.first_slot) * p.slot_rows + r;
  const int64_t slot_stride = int64_t(p.slot_rows);

  float max_lse = -INFINITY;
  for (int k = 0; k < unit.num_splits; ++k) max_lse = fmaxf(max_lse, lse[k * slot_stride]);

  float sum[kColumnsPerLane] = {};
  float weight_sum = 0.f;
  if (max_lse != -INFINITY) {
    const float* part = p.partial_out +
                        (int64_t(unit.first_slot) * p.slot_rows + r) * kLatentDim;
    for (int k = 0; k < unit.num_splits; ++k) {
      const float weight = expf(lse[k * slot_stride] - max_lse);
      weight_sum += weight;
      const float* row = part + k * slot_stride * kLatentDim;
#pragma unroll
      for (int i = 0; i < kColumnsPerLane / 4; ++i) {
        const float4 v = *reinterpret_cast<const float4*>(row + (i * 32 + lane) * 4);
        sum[4 * i] += weight * v.x;
        sum[4 * i + 1] += weight * v.y;
        sum[4 * i + 2] += weight * v.z;
        sum[4 * i + 3] += weight * v.w;
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
