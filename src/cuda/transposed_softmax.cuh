#pragma once
// The online softmax of the transposed math forms (decode_math_transposed.cuh,
// decode_math_register_a.cuh): Sᵀ fragments have tokens as rows and query
// rows as columns, so a query row's maximum and sum run over the
// warpgroup's four warps through shared memory. Thread row q (of kRows / 4)
// is query row transposed_query_row(q, lane); accumulator element k belongs
// to thread row 2 (k / 4) + (k & 1) and token row fragment_row + 8 ((k >> 1)
// & 1) of the block.
#include <cstdint>

#include "src/cuda/async_copy.cuh"
#include "src/cuda/decode_layout.cuh"
#include "src/cuda/decode_params.h"
#include "src/cuda/hopper.cuh"

namespace mladec::detail {

__device__ __forceinline__ int transposed_query_row(int q, int lane) {
  return 8 * (q >> 1) + 2 * (lane & 3) + (q & 1);
}

// The warpgroup's exchanges as 32-bit shared addresses (generic pointers
// took two registers each and generic stores): the block maxima (float
// [4 warps][kTransposedRowLimit] per warpgroup) and the row sums (the same,
// in alternate halves by piece parity: a piece without blocks passes no
// other barrier before it writes its sums).
__device__ __forceinline__ uint32_t transposed_max_exchange(uint32_t smem, int m) {
  return smem + decode_layout::kTransposedMaxOffset +
         m * 4 * decode_layout::kTransposedRowLimit * 4;
}
__device__ __forceinline__ uint32_t transposed_sum_exchange(uint32_t smem, uint32_t pieces_done,
                                                            int m) {
  return smem + decode_layout::kTransposedSumOffset +
         ((pieces_done & 1) * 2 + m) * 4 * decode_layout::kTransposedRowLimit * 4;
}
// Word (warp, query row) of an exchange.
__device__ __forceinline__ uint32_t exchange_word(uint32_t exchange, int warp, int row) {
  return exchange + 4 * (warp * decode_layout::kTransposedRowLimit + row);
}

// Each thread row's value combined (`op`) over the warpgroup: first over
// the warp's eight lanes that hold its query row (shuffles), then lanes
// 0..3 publish it as word (warp, query row) of `exchange`, and after named
// barrier `barrier` every thread combines the four warps' words into
// `combined`, starting from `init`.
template <int kThreadRows, typename Op>
__device__ __forceinline__ void warpgroup_row_reduce(float (&value)[kThreadRows],
                                                     uint32_t exchange, int warp, int lane,
                                                     int barrier,
                                                     const float (&init)[kThreadRows],
                                                     float (&combined)[kThreadRows], Op op) {
  using namespace decode_layout;
#pragma unroll
  for (int q = 0; q < kThreadRows; ++q) {
#pragma unroll
    for (int mask = 4; mask < 32; mask <<= 1) {
      value[q] = op(value[q], __shfl_xor_sync(0xffffffffu, value[q], mask));
    }
    if (lane < 4) {
      store_shared_f32(exchange_word(exchange, warp, transposed_query_row(q, lane)), value[q]);
    }
  }
  named_barrier_sync(barrier, kWarpgroupThreads);
#pragma unroll
  for (int q = 0; q < kThreadRows; ++q) {
    combined[q] = init[q];
#pragma unroll
    for (int w = 0; w < 4; ++w) {
      combined[q] = op(combined[q], __uint_as_float(load_shared_u32(
                                        exchange_word(exchange, w, transposed_query_row(q, lane)))));
    }
  }
}

// The end of the keys each thread row sees in this piece (the causal mask
// of MTP rows; rows past the tile's row count see none).
template <int kThreadRows>
__device__ __forceinline__ void transposed_row_ends(const DecodeParams& p, const PlanPiece& piece,
                                                    const PlanUnit& unit, int lane,
                                                    int (&row_end)[kThreadRows]) {
#pragma unroll
  for (int q = 0; q < kThreadRows; ++q) {
    const int r = transposed_query_row(q, lane);
    const int t = (unit.row_begin + r) / p.num_heads;
    const int visible = p.causal ? unit.kv_len - unit.q_len + t + 1 : unit.kv_len;
    row_end[q] = r < unit.row_count ? min(piece.kv_end, visible) : piece.kv_begin;
  }
}

// A block's Sᵀ fragment masked (row_end(q): the end of thread row q's keys,
// transposed_row_ends) and scaled into the exp2 domain (score_scale(q): the
// thread row's factor), its maxima per query row over
// the warpgroup's 64 tokens (this thread's two, the warp's 16 by shuffles,
// the four warps' through `max_exchange` and named barrier `barrier`), and
// the running state moved to the new maxima: `base` is what each row's
// exp2 subtracts, `scale` the factor for its accumulators (row_sum is
// rescaled here).
template <int kFragment, int kThreadRows, typename RowEnd, typename ScoreScale>
__device__ __forceinline__ void transposed_block_maxima(
    float (&s)[kFragment], int token0, int kv_begin, RowEnd row_end, ScoreScale score_scale,
    float (&row_max)[kThreadRows], float (&row_sum)[kThreadRows], float (&base)[kThreadRows],
    float (&scale)[kThreadRows], uint32_t max_exchange, int warp, int lane, int barrier) {
  using namespace decode_layout;
  float block_max[kThreadRows];
#pragma unroll
  for (int q = 0; q < kThreadRows; ++q) block_max[q] = -INFINITY;
#pragma unroll
  for (int k = 0; k < kFragment; ++k) {
    const int q = 2 * (k / 4) + (k & 1);
    const int j = token0 + 8 * ((k >> 1) & 1);
    const bool visible = j >= kv_begin && j < row_end(q);
    s[k] = visible ? s[k] * score_scale(q) : -INFINITY;
    block_max[q] = fmaxf(block_max[q], s[k]);
  }
  float new_max[kThreadRows];
  warpgroup_row_reduce(block_max, max_exchange, warp, lane, barrier, row_max, new_max,
                       [](float a, float b) { return fmaxf(a, b); });
#pragma unroll
  for (int q = 0; q < kThreadRows; ++q) {
    // No visible key yet: subtract 0 so every exp2 is 0, not NaN.
    base[q] = new_max[q] == -INFINITY ? 0.f : new_max[q];
    scale[q] = exp2_flush(row_max[q] - base[q]);
    row_max[q] = new_max[q];
    row_sum[q] *= scale[q];
  }
}

// P = exp2(s - base), kept in this thread's row sums and stored as Pᵀ for
// wgmma's B operand (query row r, token j of the block at k position
// position(j) of row r, as bits(p)); the accumulators rescaled to the new
// maxima; the tile made visible to the async proxy and the warpgroup
// (named barrier `barrier`).
template <int kFragment, int kThreadRows, int kTiles, typename Position, typename Bits>
__device__ __forceinline__ void store_transposed_p(
    float (&s)[kFragment], const float (&base)[kThreadRows], const float (&scale)[kThreadRows],
    float (&row_sum)[kThreadRows], float (&acc)[kTiles][kFragment], uint32_t p_tile,
    int fragment_row, int lane, Position position, Bits bits, int barrier) {
  using namespace decode_layout;
#pragma unroll
  for (int k = 0; k < kFragment; ++k) {
    const int q = 2 * (k / 4) + (k & 1);
    s[k] = exp2_flush(s[k] - base[q]);
    row_sum[q] += s[k];
    const int slot = position(fragment_row + 8 * ((k >> 1) & 1));
    // Thread rows q and q + 2 are query rows eight apart: the same swizzle,
    // 1024 bytes on (four addresses per thread, the rest immediates).
    const uint32_t row_pair = p_tile + slab_offset(transposed_query_row(q & 1, lane), slot / 8);
    store_shared_u16(row_pair + (q >> 1) * 8 * 128 + 2 * (slot % 8), bits(s[k]));
  }
#pragma unroll
  for (int t = 0; t < kTiles; ++t) {
#pragma unroll
    for (int k = 0; k < kFragment; ++k) acc[t][k] *= scale[2 * (k / 4) + (k & 1)];
  }
  fence_proxy_async();
  named_barrier_sync(barrier, kWarpgroupThreads);
}

// Each thread row's sum over the warpgroup's tokens: this thread's, the
// warp's by shuffles, the four warps' through `sum_exchange` and named
// barrier `barrier`.
template <int kThreadRows>
__device__ __forceinline__ void transposed_row_totals(float (&row_sum)[kThreadRows],
                                                      uint32_t sum_exchange, int warp, int lane,
                                                      int barrier, float (&total)[kThreadRows]) {
  const float zero[kThreadRows] = {};
  warpgroup_row_reduce(row_sum, sum_exchange, warp, lane, barrier, zero, total,
                       [](float a, float b) { return a + b; });
}

// The LSE of tile row r (natural log; -inf for a row that saw no key) to
// the output's LSE or the piece's partial slot.
__device__ __forceinline__ void store_transposed_lse(const DecodeParams& p, const PlanPiece& piece,
                                                     const PlanUnit& unit, int r, float row_max,
                                                     float total) {
  const float lse = total > 0.f ? (row_max + log2f(total)) * 0.69314718056f : -INFINITY;
  const int index = unit.row_begin + r;
  if (piece.slot < 0) {
    p.lse[(unit.q_start + index / p.num_heads) * p.lse_token_stride +
          (index % p.num_heads) * p.lse_head_stride] = lse;
  } else {
    p.partial_lse[int64_t(piece.slot) * p.slot_rows + r] = lse;
  }
}

}  // namespace mladec::detail
