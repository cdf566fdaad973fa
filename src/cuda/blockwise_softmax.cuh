#pragma once
// The online softmax of blockwise caches on the register-A path (16 query
// rows), the device side of src/core/blockwise_group_softmax.h: next to the
// plain softmax (the denominator), each query row keeps a base per 128-value
// group g, the running maximum of S_g = S + log2 |scale_g(token)|, and the
// block's Pᵀ_g = sign(scale_g) · 2^(S_g − base_g) goes to wgmma as f16 —
// never P · scale rounded to f16 (NOTES "Plan: blockwise at 16 rows through
// register-A"; tests/blockwise_group_softmax_test.cpp runs this algorithm
// on the CPU). Fragment conventions as transposed_softmax.cuh: element k of
// a thread's Sᵀ fragment is thread row 2 (k / 4) + (k & 1) (query row
// transposed_query_row) and token row fragment_row + 8 ((k >> 1) & 1).
#include <cstdint>

#include "mladec/constants.h"
#include "src/core/blockwise_group_softmax.h"
#include "src/core/register_a_layout.h"
#include "src/cuda/async_copy.cuh"
#include "src/cuda/decode_layout.cuh"
#include "src/cuda/hopper.cuh"
#include "src/cuda/transposed_softmax.cuh"

namespace mladec::detail {

constexpr int kBlockwiseMaxima = 1 + kBlockwiseScales;  // the plain S, then each group's S_g

// group_shift's log2 as MUFU.LG2 (lg2.approx, relative error ~2^-22,
// subnormal scales kept): log2f is a polynomial of some 20 instructions,
// eight of them per thread and block.
struct Lg2Approx {
  __device__ __forceinline__ float operator()(float x) const {
    float y;
    asm("lg2.approx.f32 %0, %1;\n" : "=f"(y) : "f"(x));
    return y;
  }
};

// The shifts of the thread's two token rows (token_scales: load_token_scales).
__device__ __forceinline__ void token_group_shifts(float (&shift)[2][kBlockwiseScales],
                                                   const float (&token_scales)[2][kBlockwiseScales]) {
#pragma unroll
  for (int h = 0; h < 2; ++h) {
#pragma unroll
    for (int g = 0; g < kBlockwiseScales; ++g) {
      shift[h][g] = group_shift(token_scales[h][g], Lg2Approx{});
    }
  }
}

// Word (quantity, query row, warp) of a warpgroup's blockwise maxima
// exchange: float [kBlockwiseMaxima][kRows][4 warps], so that a row's four
// warps are one 16-byte read (blockwise_exchange_row).
template <int kRows>
__device__ __forceinline__ uint32_t blockwise_exchange_word(uint32_t exchange, int quantity,
                                                            int row, int warp) {
  return exchange + 4 * ((quantity * kRows + row) * 4 + warp);
}
template <int kRows>
__device__ __forceinline__ uint32_t blockwise_exchange_row(uint32_t exchange, int quantity,
                                                           int row) {
  return blockwise_exchange_word<kRows>(exchange, quantity, row, 0);
}

// The block's maxima and the running state moved to them. In: s, a block's
// scores (blockwise_scores), and each token row's group shifts (shift[h][g]
// = group_shift(scale_g) of token row h). Out: s masked (row_end(q): the end
// of thread row q's keys) and in the exp2 domain (times score_scale); base /
// scale: the plain softmax's (row_sum rescaled here); group_base /
// group_scale: each group's, whose accumulator tiles the caller rescales.
// Maxima over the warpgroup's 64 tokens: this thread's two, the warp's 16 by
// shuffles, the four warps' through `exchange` and named barrier `barrier`.
template <int kRows, typename RowEnd>
__device__ __forceinline__ void blockwise_block_maxima(
    float (&s)[kRows / 2], const float (&shift)[2][kBlockwiseScales], int token0, int kv_begin,
    RowEnd row_end, float score_scale, float (&row_max)[kRows / 4],
    float (&row_sum)[kRows / 4], float (&group_max)[kRows / 4][kBlockwiseScales],
    float (&base)[kRows / 4], float (&scale)[kRows / 4],
    float (&group_base)[kRows / 4][kBlockwiseScales],
    float (&group_scale)[kRows / 4][kBlockwiseScales], uint32_t exchange, int warp, int lane,
    int barrier) {
  constexpr int kFragment = kRows / 2, kThreadRows = kRows / 4;
  float block_max[kThreadRows][kBlockwiseMaxima];
#pragma unroll
  for (int q = 0; q < kThreadRows; ++q) {
#pragma unroll
    for (int x = 0; x < kBlockwiseMaxima; ++x) block_max[q][x] = -INFINITY;
  }
#pragma unroll
  for (int k = 0; k < kFragment; ++k) {
    const int q = 2 * (k / 4) + (k & 1), h = (k >> 1) & 1;
    const int j = token0 + 8 * h;
    const bool visible = j >= kv_begin && j < row_end(q);
    s[k] = visible ? s[k] * score_scale : -INFINITY;
    block_max[q][0] = fmaxf(block_max[q][0], s[k]);
#pragma unroll
    for (int g = 0; g < kBlockwiseScales; ++g) {
      block_max[q][1 + g] = fmaxf(block_max[q][1 + g], s[k] + shift[h][g]);
    }
  }
#pragma unroll
  for (int q = 0; q < kThreadRows; ++q) {
#pragma unroll
    for (int x = 0; x < kBlockwiseMaxima; ++x) {
#pragma unroll
      for (int mask = 4; mask < 32; mask <<= 1) {
        block_max[q][x] = fmaxf(block_max[q][x], __shfl_xor_sync(0xffffffffu, block_max[q][x], mask));
      }
      if (lane < 4) {
        store_shared_f32(
            blockwise_exchange_word<kRows>(exchange, x, transposed_query_row(q, lane), warp),
            block_max[q][x]);
      }
    }
  }
  named_barrier_sync(barrier, decode_layout::kWarpgroupThreads);
#pragma unroll
  for (int q = 0; q < kThreadRows; ++q) {
    const int row = transposed_query_row(q, lane);
    float new_max[kBlockwiseMaxima];
    new_max[0] = row_max[q];
#pragma unroll
    for (int g = 0; g < kBlockwiseScales; ++g) new_max[1 + g] = group_max[q][g];
#pragma unroll
    for (int x = 0; x < kBlockwiseMaxima; ++x) {
      const uint4 warps = load_shared_v4(blockwise_exchange_row<kRows>(exchange, x, row));
      new_max[x] = fmaxf(fmaxf(new_max[x], fmaxf(__uint_as_float(warps.x), __uint_as_float(warps.y))),
                         fmaxf(__uint_as_float(warps.z), __uint_as_float(warps.w)));
    }
    base[q] = softmax_base(new_max[0]);
    scale[q] = softmax_rescale(row_max[q], base[q], Exp2Flush{});  // 0 from −inf
    row_max[q] = new_max[0];
    row_sum[q] *= scale[q];
#pragma unroll
    for (int g = 0; g < kBlockwiseScales; ++g) {
      group_base[q][g] = softmax_base(new_max[1 + g]);
      group_scale[q][g] = softmax_rescale(group_max[q][g], group_base[q][g], Exp2Flush{});
      group_max[q][g] = new_max[1 + g];
    }
  }
}

// The block's weights: P = 2^(s − base) into this thread's row sums, and
// Pᵀ_g = sign(scale_g) · 2^(s + shift_g − group_base) stored in f16 into
// group g's Pᵀ tile (16 query rows × 64 keys of 128-byte swizzled rows at
// p_tiles + g · tile_stride, 1024-byte aligned; token j at k position
// output_slot(j), as Oᵀ's fragments read it; the addresses one base plus
// immediates, transposed_p_store_base / _step — the plan puts them in
// rows 16..31 of Q slabs, which 16-row tiles leave free); group g's
// accumulator tiles (2g, 2g + 1) rescaled by group_scale; the tiles made
// visible to the async proxy and the warpgroup (named barrier `barrier`).
template <int kRows>
__device__ __forceinline__ void store_blockwise_p(
    const float (&s)[kRows / 2], const float (&shift)[2][kBlockwiseScales],
    const float (&token_scales)[2][kBlockwiseScales], const float (&base)[kRows / 4],
    const float (&group_base)[kRows / 4][kBlockwiseScales],
    const float (&group_scale)[kRows / 4][kBlockwiseScales], float (&row_sum)[kRows / 4],
    float (&acc)[2 * kBlockwiseScales][kRows / 2], uint32_t p_tiles, uint32_t tile_stride,
    int warp, int lane, int barrier) {
  static_assert(kRows == 16, "the group Pᵀ tiles are 16 rows");
  constexpr int kFragment = kRows / 2;
  // One base; every store adds immediates (transposed_p_store_step).
  const uint32_t p_base = p_tiles + transposed_p_store_base(warp, lane);
#pragma unroll
  for (int k = 0; k < kFragment; ++k) {
    const int q = 2 * (k / 4) + (k & 1), h = (k >> 1) & 1;
    row_sum[q] += exp2_flush(s[k] - base[q]);
#pragma unroll
    for (int g = 0; g < kBlockwiseScales; ++g) {
      const float weight =
          group_weight(s[k] + shift[h][g], group_base[q][g], token_scales[h][g], Exp2Flush{});
      store_shared_u16(p_base + g * tile_stride + transposed_p_store_step(q, h), f16_bits(weight));
    }
  }
#pragma unroll
  for (int g = 0; g < kBlockwiseScales; ++g) {
#pragma unroll
    for (int k = 0; k < kFragment; ++k) {
      const float factor = group_scale[2 * (k / 4) + (k & 1)][g];
      acc[2 * g][k] *= factor;
      acc[2 * g + 1][k] *= factor;
    }
  }
  fence_proxy_async();
  named_barrier_sync(barrier, decode_layout::kWarpgroupThreads);
}

}  // namespace mladec::detail
