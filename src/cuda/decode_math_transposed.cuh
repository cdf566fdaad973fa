#pragma once
// The math warpgroups of the decode kernel for tiles of at most 32 query rows
// (h_q·s_q ≤ 32: TP 4–16 at s_q 1, TP 8–16 at s_q 2), computed transposed so
// that no padding row is multiplied. With R = 16 or 32 query rows:
//   Sᵀ  = K·Qᵀ    wgmma m64nRk16 × 36: A = the KV tile (64 tokens × 576,
//                 K-major, as loaded), B = the first R rows of the Q tile;
//   Oᵀ += Vᵀ·Pᵀ   wgmma m64nRk16 × 4 per 64 latent values: A = the V part of
//                 the KV tile read MN-major, B = Pᵀ (R rows × 64 tokens).
// The row form pads every tile to 64 rows (wgmma M), so at R = 16 it
// multiplies four times the work. Here the warpgroups split Sᵀ's 36
// k-steps, add the halves through shared memory, then both run the same
// softmax (cheap at N = R); warpgroup m owns latent tiles [4m, 4m + 4) of
// Oᵀ.
//
// Accumulator fragments (m64nNk16, f32): thread (warp w, lane l) of a
// warpgroup holds element 4i + x at row 16w + l/4 + 8(x >> 1) and column
// 8i + 2(l % 4) + (x & 1). Rows are tokens (Sᵀ) or latent values (Oᵀ);
// columns are query rows, so each thread follows 2R/8 query rows.
#include <cstdint>

#include "mladec/constants.h"
#include "src/cuda/async_copy.cuh"
#include "src/cuda/decode_layout.cuh"
#include "src/cuda/decode_params.h"
#include "src/cuda/hopper.cuh"
#include "src/cuda/transposed_softmax.cuh"
#include "src/cuda/step_timeline.cuh"

namespace mladec::detail {

// warp_group (m below): 0 or 1, a run-time value so that both warpgroups run
// one copy of this code — the decode kernel's code is 90–165 KB per
// instantiation, and at small batch (two blocks per worker) 44% of its
// warps' stall samples were instruction fetches (bench/NOTES.md v27).
template <int kRows>
__device__ __forceinline__ void run_math_transposed(const DecodeParams& p,
                                                    uint8_t* smem_bytes, uint32_t smem,
                                                    int begin, int end, int warp_group) {
  // Read through a shuffle from lane 0, m is warp-uniform to the compiler:
  // the wgmma descriptors built from it stay in uniform registers (one
  // uniform add per operand) instead of being built in vector registers and
  // moved over per wgmma (e4m3 16 rows: 138 such moves in the SASS, 3 now).
  const int m = __shfl_sync(0xffffffffu, warp_group, 0);
  using namespace decode_layout;
  static_assert(kRows == 16 || kRows == 32, "the transposed form's N");
  constexpr int kGroups = kRows / 8;          // n8 column groups
  constexpr int kThreadRows = 2 * kGroups;    // query rows per thread
  constexpr int kFragment = kRows / 2;        // accumulator floats per m64 tile
  constexpr int kLatentTiles = kLatentDim / kSlabValues / 2;  // per warpgroup
  const int warp = (threadIdx.x / 32) % 4;
  const int lane = threadIdx.x % 32;
  const int fragment_row = warp * 16 + lane / 4;  // + 8 for x >= 2
  // Query row of thread row q = 2i + c (group i, column c of the pair).
  const auto query_row = [&](int q) { return transposed_query_row(q, lane); };
  const uint32_t bars = smem + kBarrierOffset;
  const uint32_t p_tile = smem + transposed_p_offset(m);
  const uint32_t max_exchange = transposed_max_exchange(smem, m);
  uint32_t q_loads = 0, kv_loads = 0, pieces_done = 0;

  for (int i = begin; i < end; ++i, ++pieces_done) {
    const PlanPiece piece = p.pieces[i];
    const PlanUnit unit = p.units[piece.unit];
    const PieceExtent e = piece_extent(p, piece, unit);
    int row_end[kThreadRows];
    transposed_row_ends(p, piece, unit, lane, row_end);
    float row_max[kThreadRows], row_sum[kThreadRows];  // row_sum: this thread's tokens only
#pragma unroll
    for (int q = 0; q < kThreadRows; ++q) {
      row_max[q] = -INFINITY;
      row_sum[q] = 0.f;
    }
    float acc[kLatentTiles][kFragment];
#pragma unroll
    for (int t = 0; t < kLatentTiles; ++t) {
#pragma unroll
      for (int k = 0; k < kFragment; ++k) acc[t][k] = 0.f;
    }

    if (e.num_blocks > 0) {
      mbarrier_wait(bars + 8 * kQFull, q_loads & 1);
      fence_proxy_async();
    }
    for (int b = 0; b < e.num_blocks; ++b, ++kv_loads) {
      const int buffer = kv_loads & 1;
      const uint32_t block = smem + kKvOffset + buffer * kTileBytes;
      mbarrier_wait(bars + 8 * (kFull + buffer), (kv_loads >> 1) & 1);
      if (threadIdx.x == kWarpgroupThreads && kv_loads == 0) timeline(kTimelineFirstData);
      fence_proxy_async();

      // Sᵀ over this warpgroup's k-steps: warpgroup m takes half of the 36
      // k-steps and the halves are added through shared memory. Both
      // computing all of Sᵀ read the whole K tile twice, the larger part
      // of this form's shared-memory traffic (16 rows: v13, −3%; 32 rows
      // since session 42, bench/NOTES.md v102).
      constexpr int kMySteps = kRowChunks / 2 / 2;
      // Warpgroup m takes k-steps 2m, 2m + 1 of each slab's four, so its
      // offsets are one base (m · 64 bytes) plus constants.
      const uint32_t split_base = m * 2 * 32;
      const SlabDescriptors kv(block + split_base, 16), q(smem + kQOffset + split_base, 16);
      float s[kFragment];
      wgmma_fence();
#pragma unroll
      for (int i = 0; i < kMySteps; ++i) {
        // Relative to the split's base: steps 0, 1 of each slab.
        const uint32_t offset = k_step_offset(4 * (i / 2) + i % 2);
        wgmma_m64nk16_ss<kRows, false>(s, kv.at(offset), q.at(offset), i > 0);
      }
      wgmma_commit();
      wgmma_wait<0>();
      fence_registers(s);
      if (b + 1 == e.num_blocks) mbarrier_arrive(bars + 8 * kQEmpty);
      const int thread = threadIdx.x % 128;
      if constexpr (kRows == 32) {
        // One buffer: a warpgroup overwrites its half once the other has
        // read the previous block's (id 9; it passes at once, the other
        // read it a whole Sᵀ ago). a + b == b + a: both get the same Sᵀ.
        static_assert(kFragment == 16, "four float4 per thread");
        named_barrier_sync(kTransposedScoresFreeBarrier, 2 * kWarpgroupThreads);
#pragma unroll
        for (int slot = 0; slot < 4; ++slot) {
          store_shared_v4(smem + warpgroup_exchange_offset(m, slot, thread),
                          make_uint4(__float_as_uint(s[4 * slot]), __float_as_uint(s[4 * slot + 1]),
                                     __float_as_uint(s[4 * slot + 2]),
                                     __float_as_uint(s[4 * slot + 3])));
        }
        named_barrier_sync(kTransposedScoresBarrier, 2 * kWarpgroupThreads);
#pragma unroll
        for (int slot = 0; slot < 4; ++slot) {
          const uint4 in = load_shared_v4(smem + warpgroup_exchange_offset(1 - m, slot, thread));
          s[4 * slot] += __uint_as_float(in.x);
          s[4 * slot + 1] += __uint_as_float(in.y);
          s[4 * slot + 2] += __uint_as_float(in.z);
          s[4 * slot + 3] += __uint_as_float(in.w);
        }
      } else {
        // Double-buffered by block parity: a half is overwritten two blocks
        // later, after both warpgroups released this buffer (so after the
        // other one read it). a + b == b + a: both get the same Sᵀ.
        static_assert(kFragment == 8, "two float4 per thread");
        float4* mine = reinterpret_cast<float4*>(
            smem_bytes + transposed_scores_offset(kv_loads & 1, m)) + 2 * thread;
        const float4* theirs = reinterpret_cast<const float4*>(
            smem_bytes + transposed_scores_offset(kv_loads & 1, 1 - m)) + 2 * thread;
        mine[0] = make_float4(s[0], s[1], s[2], s[3]);
        mine[1] = make_float4(s[4], s[5], s[6], s[7]);
        named_barrier_sync(kTransposedScoresBarrier, 2 * kWarpgroupThreads);
        const float4 low = theirs[0], high = theirs[1];
        s[0] += low.x;
        s[1] += low.y;
        s[2] += low.z;
        s[3] += low.w;
        s[4] += high.x;
        s[5] += high.y;
        s[6] += high.z;
        s[7] += high.w;
      }

      // Mask, scale into the exp2 domain, the block's query-row maxima.
      const int token0 = (e.first_block + b) * kBlockTokens + fragment_row;
      float scale[kThreadRows], base[kThreadRows];
      transposed_block_maxima(s, token0, piece.kv_begin, [&](int q) { return row_end[q]; },
                              [&](int) { return p.scale_log2; }, row_max, row_sum, base, scale,
                              max_exchange, warp, lane, kTransposedMaxBarrier + m);
      // P, kept in this thread's row sums, stored as Pᵀ.
      store_transposed_p(s, base, scale, row_sum, acc, p_tile, fragment_row, lane,
                         [](int token) { return token; }, [](float v) { return bf16_bits(v); },
                         kTransposedPBarrier + m);

      const SlabDescriptors v(block + kLatentTiles * m * kSlabBytes, kSlabBytes), pt(p_tile, 16);
      wgmma_fence();
#pragma unroll
      for (int t = 0; t < kLatentTiles; ++t) {
#pragma unroll
        for (int k = 0; k < kBlockTokens / 16; ++k) {
          wgmma_m64nk16_ss<kRows, true>(acc[t], v.at(t * kSlabBytes + k * 16 * 128),
                                        pt.at(k * 32), true);
        }
      }
      wgmma_commit();
      wgmma_wait<0>();
#pragma unroll
      for (int t = 0; t < kLatentTiles; ++t) fence_registers(acc[t]);
      mbarrier_arrive(bars + 8 * (kEmpty + buffer));
    }
    if (e.num_blocks > 0) ++q_loads;

    // Row totals over the warpgroup (alternate pieces, alternate halves).
    const uint32_t sum_exchange = transposed_sum_exchange(smem, pieces_done, m);
    float total[kThreadRows], inverse[kThreadRows];
    transposed_row_totals(row_sum, sum_exchange, warp, lane, kTransposedPBarrier + m, total);
    if (threadIdx.x == kWarpgroupThreads && pieces_done == 0) timeline(kTimelineFirstTotals);
#pragma unroll
    for (int q = 0; q < kThreadRows; ++q) {
      // out_scale: fp8_e4m3's per-tensor scale, left out of the dequantized V.
      inverse[q] = total[q] > 0.f ? p.out_scale / total[q] : 0.f;
      const int r = query_row(q);
      if (m == 0 && warp == 0 && lane < 4 && r < unit.row_count) {
        store_transposed_lse(p, piece, unit, r, row_max[q], total[q]);
      }
    }
    // Oᵀ element (latent value, query row) to the output row.
#pragma unroll
    for (int k = 0; k < kFragment; ++k) {
      const int q = 2 * (k / 4) + (k & 1);
      const int r = query_row(q);
      if (r >= unit.row_count) continue;
      const int index = unit.row_begin + r;
      const int latent0 = kLatentTiles * m * kSlabValues + fragment_row + 8 * ((k >> 1) & 1);
      if (piece.slot < 0) {
        uint16_t* out = p.out + (unit.q_start + index / p.num_heads) * p.out_token_stride +
                        (index % p.num_heads) * p.out_head_stride + latent0;
#pragma unroll
        for (int t = 0; t < kLatentTiles; ++t) out[t * kSlabValues] = bf16_bits(acc[t][k] * inverse[q]);
      } else {
        float* out = p.partial_out + (int64_t(piece.slot) * p.slot_rows + r) * kLatentDim +
                     latent0;
#pragma unroll
        for (int t = 0; t < kLatentTiles; ++t) out[t * kSlabValues] = acc[t][k] * inverse[q];
      }
    }
    if (threadIdx.x == kWarpgroupThreads && pieces_done == 0) timeline(kTimelineFirstPieceEnd);
  }
}

}  // namespace mladec::detail
