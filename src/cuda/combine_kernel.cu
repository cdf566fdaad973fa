// Merges the split pieces of each split unit: out = Σ_k w_k·o_k / Σ_k w_k with
// w_k = exp(lse_k - max lse), lse = max + ln Σ w_k, in slot (= KV) order so
// the result does not depend on which worker ran which piece.
#include <cstdint>

#include "mladec/constants.h"
#include "src/cuda/cuda_check.h"
#include "src/cuda/launchers.h"
#include "src/cuda/warp_mma.cuh"

namespace mladec::detail {
namespace {

constexpr int kCombineThreads = kLatentDim / 4;  // 4 columns per thread

__global__ void __launch_bounds__(kCombineThreads)
    combine_kernel(const __grid_constant__ DecodeParams p) {
  if (int(blockIdx.x) >= p.header->num_combine) return;
  const PlanUnit unit = p.units[p.combine[blockIdx.x]];
  const int col = threadIdx.x * 4;
  for (int r = 0; r < unit.row_count; ++r) {
    float max_lse = -INFINITY;
    for (int k = 0; k < unit.num_splits; ++k) {
      max_lse = fmaxf(max_lse,
                      p.partial_lse[int64_t(unit.first_slot + k) * p.slot_rows + r]);
    }
    float4 sum4 = make_float4(0.f, 0.f, 0.f, 0.f);
    float weight_sum = 0.f;
    if (max_lse != -INFINITY) {
      for (int k = 0; k < unit.num_splits; ++k) {
        const int64_t slot_row = int64_t(unit.first_slot + k) * p.slot_rows + r;
        const float weight = expf(p.partial_lse[slot_row] - max_lse);
        const float4 part = *reinterpret_cast<const float4*>(
            p.partial_out + slot_row * kLatentDim + col);
        weight_sum += weight;
        sum4.x += weight * part.x;
        sum4.y += weight * part.y;
        sum4.z += weight * part.z;
        sum4.w += weight * part.w;
      }
    }
    const float inverse = weight_sum > 0.f ? 1.f / weight_sum : 0.f;
    const int index = unit.row_begin + r;
    const int64_t token = unit.q_start + index / p.num_heads;
    const int head = index % p.num_heads;
    uint16_t* out = p.out + token * p.out_token_stride + head * p.out_head_stride;
    const uint2 packed = make_uint2(pack_bf16x2(sum4.x * inverse, sum4.y * inverse),
                                    pack_bf16x2(sum4.z * inverse, sum4.w * inverse));
    *reinterpret_cast<uint2*>(out + col) = packed;
    if (threadIdx.x == 0) {
      p.lse[token * p.lse_token_stride + head * p.lse_head_stride] =
          weight_sum > 0.f ? max_lse + logf(weight_sum) : -INFINITY;
    }
  }
}

}  // namespace

void launch_combine(const DecodeParams& params, int max_combine,
                    cudaStream_t stream) {
  if (max_combine == 0) return;
  combine_kernel<<<max_combine, kCombineThreads, 0, stream>>>(params);
  cuda_check(cudaGetLastError(), "combine_kernel launch");
}

}  // namespace mladec::detail
