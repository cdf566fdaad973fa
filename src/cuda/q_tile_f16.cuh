#pragma once
// A Q tile in f16, for the math forms whose K (and V) operands are e4m3
// values converted to f16 — exact, one conversion instruction per two
// values, where bf16 takes four (e4m3 → f16 → f32 → bf16). Q arrives in
// bf16; f16 has three more significant bits but a far smaller range, so
// each row is scaled by a power of two that puts its largest magnitude in
// [2^14, 2^15), and the scores are scaled back by its inverse. Only values
// below 2^-28 of their row's largest lose bits (f16 subnormals): the rule
// is f16_row_scale (src/core/numeric_formats.h, tested on the CPU).
//   convert_row_q_to_f16    the row form's 64-row tile (decode_math_rows.cuh)
// The register-A path's transposed tiles permute their words as they
// convert (fp8_register_a.cuh: convert_q_to_f16).
#include <cstdint>

#include "src/core/numeric_formats.h"
#include "src/cuda/async_copy.cuh"
#include "src/cuda/decode_layout.cuh"
#include "src/cuda/hopper.cuh"

namespace mladec::detail {

// A bf16x2 word times its row's f16 factor (f16_row_scale), as f16x2.
__device__ __forceinline__ uint32_t scaled_bf16x2_to_f16x2(uint32_t word, float factor) {
  return pack_f16x2(bf16x2_low(word) * factor, bf16x2_high(word) * factor);
}

// The end of a Q tile's conversion, both math warpgroups: the f16 rows made
// visible to wgmma, then the meeting on kQConverted (phase `phase`) after
// which every row and inverse scale is written.
__device__ __forceinline__ void finish_q_conversion(uint32_t smem, uint32_t phase) {
  using namespace decode_layout;
  fence_proxy_async();
  const uint32_t converted = smem + kBarrierOffset + 8 * kQConverted;
  mbarrier_arrive(converted);
  mbarrier_wait(converted, phase & 1);
}

// Both math warpgroups (m = 0, 1): the row form's Q tile (64 rows of 72
// chunks, 128-byte swizzled slabs, bf16) to f16 in place, each row scaled
// by f16_row_scale, its inverse to kRowQScaleOffset[row]. A row's chunks are
// split over four lanes of one warp (lanes l, l + 8, l + 16, l + 24), so a
// quarter-warp's loads are eight rows' same chunk: eight distinct swizzled
// positions, conflict-free. Each thread reads its chunks twice (for the
// maximum, then to convert) rather than holding 72 words. Ends when both
// warpgroups have converted (kQConverted, phase `phase`): the f16 rows
// visible to wgmma and the inverse scales to every math thread.
__device__ __forceinline__ void convert_row_q_to_f16(uint32_t smem, int m, uint32_t phase) {
  using namespace decode_layout;
  constexpr int kLanesPerRow = kMathThreads / kTileRows;  // 4
  constexpr int kRowsPerWarp = 32 / kLanesPerRow;          // 8
  constexpr int kChunksPerLane = kRowChunks / kLanesPerRow;
  static_assert(kRowChunks % kLanesPerRow == 0, "a row's chunks split evenly");
  const int lane = threadIdx.x % 32;
  const int warp = m * 4 + (threadIdx.x / 32) % 4;  // 0..7 over both warpgroups
  const int row = warp * kRowsPerWarp + lane % kRowsPerWarp;
  const int part = lane / kRowsPerWarp;
  const uint32_t q_tile = smem + kQOffset;
  const auto chunk_address = [&](int i) {
    return q_tile + slab_offset(row, part + kLanesPerRow * i);
  };
  float largest = 0.f;
#pragma unroll 6
  for (int i = 0; i < kChunksPerLane; ++i) {
    const uint4 v = load_shared_v4(chunk_address(i));
    largest = fmaxf(fmaxf(largest, fmaxf(bf16x2_largest(v.x), bf16x2_largest(v.y))),
                    fmaxf(bf16x2_largest(v.z), bf16x2_largest(v.w)));
  }
#pragma unroll
  for (int mask = kRowsPerWarp; mask < 32; mask <<= 1) {
    largest = fmaxf(largest, __shfl_xor_sync(0xffffffffu, largest, mask));
  }
  const F16RowScale scale = f16_row_scale(largest);
  const auto to_f16 = [&](uint32_t word) { return scaled_bf16x2_to_f16x2(word, scale.factor); };
#pragma unroll 6
  for (int i = 0; i < kChunksPerLane; ++i) {
    const uint4 v = load_shared_v4(chunk_address(i));
    store_shared_v4(chunk_address(i), make_uint4(to_f16(v.x), to_f16(v.y), to_f16(v.z), to_f16(v.w)));
  }
  if (part == 0) store_shared_f32(smem + kRowQScaleOffset + 4 * row, scale.inverse);
  finish_q_conversion(smem, phase);
}

}  // namespace mladec::detail
