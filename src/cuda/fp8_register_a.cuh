#pragma once
// The transposed form's register-A path for e4m3 caches (decode_layout.cuh:
// kRegisterAFp8; bench/NOTES.md, "a design sketch" and v31). The KV buffer
// holds a staged block of fp8 bytes (token t at t · kFp8StageTokenBytes) and
// the math warps turn it into f16 wgmma A operands themselves — no bf16 tile,
// no conversion pass through shared memory:
//   Sᵀ = K·Qᵀ   A = K: rows are tokens, columns dimensions. A thread's four
//               columns of a k-step (2c, 2c + 1, 2c + 8, 2c + 9) come from
//               two 4-byte loads of its token row and one byte permute.
//   Oᵀ = Vᵀ·Pᵀ  A = Vᵀ: rows are latent dimensions, columns tokens. The row
//               order within a warpgroup's 256 dimensions is ours to choose
//               (the output store undoes it): a thread's rows g, g + 8 of
//               tiles 2u, 2u + 1 are the four consecutive dimensions
//               register_a_latent gives, so one 4-byte load per token serves
//               two tiles, and byte permutes pair a dimension's two tokens.
// Every e4m3 value is an f16 value, so K and V are exact; Q is rescaled per
// row by a power of two into f16's range (convert_q_to_f16) and the scores
// scaled back; Pᵀ is stored in f16.
#include <cstdint>

#include "mladec/constants.h"
#include "src/core/register_a_layout.h"
#include "src/cuda/async_copy.cuh"
#include "src/cuda/decode_layout.cuh"
#include "src/cuda/hopper.cuh"

namespace mladec::detail {

// Both math warpgroups: the Q tile's first kRows rows (bf16, in place) to
// f16, row r scaled by 2^shift so its largest magnitude lands in
// [2^14, 2^15); 2^-shift to kTransposedQScaleOffset[r]. bf16's 8 significant
// bits fit f16's 11, so only values below 2^-28 of their row's largest lose
// bits (f16 subnormals). Ends with both warpgroups past a barrier, the f16
// rows visible to wgmma.
template <int kRows>
__device__ __forceinline__ void convert_q_to_f16(uint32_t smem, uint8_t* smem_bytes, int m) {
  using namespace decode_layout;
  constexpr int kThreadsPerRow = kMathThreads / kRows;  // 16 or 8: lanes of one warp
  const int thread = m * kWarpgroupThreads + threadIdx.x % kWarpgroupThreads;
  const int row = thread / kThreadsPerRow, part = thread % kThreadsPerRow;
  const auto value = [](uint32_t word, int half) {
    return __uint_as_float(half ? word & 0xffff0000u : word << 16);
  };
  float largest = 0.f;
  for (int chunk = part; chunk < kRowChunks; chunk += kThreadsPerRow) {
    const uint32_t address = smem + kQOffset + slab_offset(row, chunk);
#pragma unroll
    for (int w = 0; w < 4; ++w) {
      const uint32_t word = load_shared_u32(address + 4 * w);
      largest = fmaxf(largest, fmaxf(fabsf(value(word, 0)), fabsf(value(word, 1))));
    }
  }
#pragma unroll
  for (int mask = 1; mask < kThreadsPerRow; mask <<= 1) {
    largest = fmaxf(largest, __shfl_xor_sync(0xffffffffu, largest, mask));
  }
  // A zero row keeps shift 0; subnormal and huge rows stay within float's
  // exponent range.
  const int exponent = largest > 0.f ? int((__float_as_uint(largest) >> 23) & 0xff) - 127 : 14;
  const int shift = min(max(14 - exponent, -126), 126);
  const float factor = __uint_as_float(uint32_t(127 + shift) << 23);
  for (int chunk = part; chunk < kRowChunks; chunk += kThreadsPerRow) {
    const uint32_t address = smem + kQOffset + slab_offset(row, chunk);
#pragma unroll
    for (int w = 0; w < 4; ++w) {
      const uint32_t word = load_shared_u32(address + 4 * w);
      store_shared_u32(address + 4 * w,
                       pack_f16x2(value(word, 0) * factor, value(word, 1) * factor));
    }
  }
  if (part == 0) {
    reinterpret_cast<float*>(smem_bytes + kTransposedQScaleOffset)[row] =
        __uint_as_float(uint32_t(127 - shift) << 23);
  }
  fence_proxy_async();
  named_barrier_sync(kTransposedScoresBarrier, kMathThreads);
}

// Issues and completes Sᵀ over this warpgroup's kSteps k-steps: step i is
// k-step 4 (i / 2) + first + i % 2 when `split` (16-row tiles: the
// warpgroups take k-steps first, first + 1 of each slab), else k-step i.
// `q` describes the f16 Q tile at the split's base (decode_math_transposed).
template <int kRows, int kSteps, bool split>
__device__ __forceinline__ void issue_scores_register_a(float (&s)[kRows / 2], uint32_t block,
                                                        const SlabDescriptors& q, int warp,
                                                        int lane, int first) {
  using namespace decode_layout;
  const int g = lane / 4, c = lane % 4;
  // Token rows g and g + 8 of this warp's 16; bytes 2c.. of a 16-byte k-step
  // lie in the word at 4 (c / 2), bytes 2c + 8.. in the word 8 further.
  const uint32_t row0 = block + (warp * 16 + g) * kFp8StageTokenBytes + score_word_offset(c);
  const uint32_t row1 = row0 + 8 * kFp8StageTokenBytes;
  const uint32_t pick = score_pick(c);
  // At most 18 k-steps' fragments (72 registers) in flight at once.
  constexpr int kGroup = kSteps < 18 ? kSteps : 18;
  static_assert(kSteps % kGroup == 0, "whole groups of k-steps");
#pragma unroll
  for (int group = 0; group < kSteps / kGroup; ++group) {
    uint32_t a[kGroup][4];
#pragma unroll
    for (int j = 0; j < kGroup; ++j) {
      const int i = group * kGroup + j;
      const int step = split ? 4 * (i / 2) + first + i % 2 : i;
      const uint32_t x0 = byte_permute(load_shared_u32(row0 + 16 * step),
                                       load_shared_u32(row0 + 16 * step + 8), pick);
      const uint32_t x1 = byte_permute(load_shared_u32(row1 + 16 * step),
                                       load_shared_u32(row1 + 16 * step + 8), pick);
      a[j][0] = e4m3x2_to_f16x2(x0);
      a[j][1] = e4m3x2_to_f16x2(x1);
      a[j][2] = e4m3x2_to_f16x2(x0 >> 16);
      a[j][3] = e4m3x2_to_f16x2(x1 >> 16);
    }
    wgmma_fence();
#pragma unroll
    for (int j = 0; j < kGroup; ++j) {
      const int i = group * kGroup + j;
      wgmma_m64nk16_rs_f16<kRows>(s, a[j], q.at(k_step_offset(split ? 4 * (i / 2) + i % 2 : i)),
                                  i > 0);
    }
    wgmma_commit();
    wgmma_wait<0>();
  }
}

// Issues Oᵀ(tiles 0..3) += Vᵀ·Pᵀ for the staged block (not committed): for
// each pair of tiles u and k-step kk, the thread loads its four dimensions
// of tokens 16 kk + {2c, 2c + 1, 2c + 8, 2c + 9} and pairs each
// dimension's tokens by byte permutes.
template <int kRows>
__device__ __forceinline__ void issue_output_register_a(float (&acc)[4][kRows / 2],
                                                        uint32_t block,
                                                        const SlabDescriptors& pt, int m,
                                                        int warp, int lane) {
  using namespace decode_layout;
  const int c = lane % 4;
  uint32_t a[2][2][kBlockTokens / 16][4];
#pragma unroll
  for (int u = 0; u < 2; ++u) {
    const uint32_t dims = block + register_a_latent(m, 2 * u, warp, lane / 4, 0);
#pragma unroll
    for (int kk = 0; kk < kBlockTokens / 16; ++kk) {
      const uint32_t token = dims + (16 * kk + 2 * c) * kFp8StageTokenBytes;
      const uint32_t w0 = load_shared_u32(token);
      const uint32_t w1 = load_shared_u32(token + kFp8StageTokenBytes);
      const uint32_t w8 = load_shared_u32(token + 8 * kFp8StageTokenBytes);
      const uint32_t w9 = load_shared_u32(token + 9 * kFp8StageTokenBytes);
#pragma unroll
      for (int v = 0; v < 2; ++v) {
        // Bytes 2v, 2v + 1 (dimensions of rows g, g + 8) of two tokens,
        // interleaved: [row g: token, token + 1, row g + 8: token, token + 1].
        const uint32_t pick = output_pick(v);
        const uint32_t low = byte_permute(w0, w1, pick), high = byte_permute(w8, w9, pick);
        a[u][v][kk][0] = e4m3x2_to_f16x2(low);
        a[u][v][kk][1] = e4m3x2_to_f16x2(low >> 16);
        a[u][v][kk][2] = e4m3x2_to_f16x2(high);
        a[u][v][kk][3] = e4m3x2_to_f16x2(high >> 16);
      }
    }
  }
  wgmma_fence();
#pragma unroll
  for (int u = 0; u < 2; ++u) {
#pragma unroll
    for (int v = 0; v < 2; ++v) {
#pragma unroll
      for (int kk = 0; kk < kBlockTokens / 16; ++kk) {
        wgmma_m64nk16_rs_f16<kRows>(acc[2 * u + v], a[u][v][kk], pt.at(kk * 32), true);
      }
    }
  }
}

}  // namespace mladec::detail
