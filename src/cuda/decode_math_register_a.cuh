#pragma once
// The math warpgroups of the decode kernel for e4m3 caches at 16 and 32
// query rows (decode_layout.cuh: kRegisterAFp8), the register-A path: the
// producer stages each block's fp8 bytes (four stages) and the math converts
// them into f16 wgmma A operands itself (fp8_register_a.cuh), computed
// transposed as in decode_math_transposed.cuh (R = 16 or 32 rows):
//   Sᵀ  = K·Qᵀ    36 × m64nRk16, A = K from registers, B = Q (f16);
//   Oᵀ += Vᵀ·Pᵀ   8 latent tiles × 4 k-steps, A = Vᵀ from registers.
// The two warpgroups take alternate blocks, each with its own softmax state
// and all 512 latent values of Oᵀ (64 or 128 floats per thread), and meet
// only to convert Q and to merge their states at the end of a piece: a block
// is one warpgroup's chain of dependent steps (loads → conversion → wgmma →
// max → exp2 → wgmma), and two such chains in flight hide each other's
// latency where one chain shared by both warpgroups (the bf16 transposed
// form's split) waited at every exchange (bench/NOTES.md v32). At 32 rows
// an earlier form had both warpgroups take every block, each converting all
// of K for the same Sᵀ (v34); here each block's K is converted once (v41).
//
// Blockwise caches at 16 rows (kRegisterABlockwise; bench/NOTES.md v43):
// Sᵀ per 128-value scale group plus a bf16 RoPE part, combined with each
// token's scales (blockwise_scores); the softmax keeps a base per group
// (blockwise_softmax.cuh) and writes one Pᵀ per group into rows 16..31 of
// Q slabs 4m..4m + 3; Oᵀ's tiles are group-pure (blockwise_output_*).
//
// Accumulator fragments (m64n16k16, f32): thread (warp w, lane l) holds
// element 4i + x at row 16w + l/4 + 8(x >> 1) and column 8i + 2(l % 4) +
// (x & 1). Rows are tokens (Sᵀ) or latent values (Oᵀ, in output_latent's
// order); columns are query rows.
#include <cstdint>

#include "mladec/constants.h"
#include "src/core/register_a_layout.h"
#include "src/cuda/async_copy.cuh"
#include "src/cuda/blockwise_softmax.cuh"
#include "src/cuda/decode_layout.cuh"
#include "src/cuda/decode_params.h"
#include "src/cuda/fp8_register_a.cuh"
#include "src/cuda/hopper.cuh"
#include "src/cuda/transposed_softmax.cuh"

namespace mladec::detail {

// warp_group (m): 0 or 1 at run time, one copy of the code for both.
template <KvDtype kDtype, int kRows>
__device__ __forceinline__ void run_math_register_a(const DecodeParams& p, uint8_t* smem_bytes,
                                                    uint32_t smem, int begin, int end,
                                                    int warp_group) {
  using namespace decode_layout;
  const int m = __shfl_sync(0xffffffffu, warp_group, 0);
  static_assert(kRows == 16 || kRows == 32, "the transposed form's N");
  constexpr bool kBlockwise = kDtype == KvDtype::kFp8Blockwise;
  static_assert(!kBlockwise || kRows == 16, "blockwise: 16 rows");
  constexpr int kStagesHere = kRegisterAStages<kDtype>;
  constexpr int kStageBytes = kRegisterAStageBytes<kDtype>;
  // Blockwise: each warpgroup's four group Pᵀ tiles and its maxima exchange.
  const uint32_t group_p_tiles = smem + blockwise_p_tiles_offset(m);
  const uint32_t group_exchange = smem + kBlockwiseExchangeOffset + m * kBlockwiseExchangeBytes;
  constexpr int kThreadRows = kRows / 4;  // query rows per thread: two per n8 group
  constexpr int kFragment = kRows / 2;    // accumulator floats per m64 tile
  constexpr int kTiles = kLatentDim / 64;
  const int warp = (threadIdx.x / 32) % 4;
  const int lane = threadIdx.x % 32;
  const int thread = threadIdx.x % kWarpgroupThreads;
  const int fragment_row = warp * 16 + lane / 4;  // + 8 for x >= 2
  const auto query_row = [&](int q) { return transposed_query_row(q, lane); };
  const uint32_t bars = smem + kBarrierOffset;
  const uint32_t p_tile = smem + transposed_p_offset(m);
  const uint32_t max_exchange = transposed_max_exchange(smem, m);
  uint32_t q_loads = 0, kv_loads = 0, pieces_done = 0, merges = 0;

  for (int i = begin; i < end; ++i, ++pieces_done) {
    const PlanPiece piece = p.pieces[i];
    const PlanUnit unit = p.units[piece.unit];
    const PieceExtent e = piece_extent(p, piece, unit);
    float row_max[kThreadRows], row_sum[kThreadRows];
    float group_max[kThreadRows][kBlockwiseScales];  // blockwise: each group's running maximum
#pragma unroll
    for (int q = 0; q < kThreadRows; ++q) {
      row_max[q] = -INFINITY;
      row_sum[q] = 0.f;  // this thread's tokens only
#pragma unroll
      for (int g = 0; g < kBlockwiseScales; ++g) group_max[q][g] = -INFINITY;
    }
    // Each row's key end (transposed_row_ends) and inverse Q scale: at 16
    // rows held in registers for the piece (v38 read them per block there
    // too and lost 7%: 180 -> 192 us); at 32 rows read per block from a
    // table in shared memory, as the 232 registers cannot spare 16 more.
    // The table goes by Q tile parity, so that one warpgroup may start the
    // next tile while the other finishes this (32-bit shared addresses:
    // generic pointers took two registers each).
    constexpr bool kRowsHeld = kRows == 16;
    int held_end[kThreadRows];
    float held_scale[kThreadRows];
    const uint32_t row_table = smem + 4 * int(q_loads & 1) * kTransposedRowLimit;
    const auto q_scale = [&](int row) {
      return __uint_as_float(load_shared_u32(row_table + kTransposedQScaleOffset + 4 * row));
    };
    const auto row_end = [&](int row) {
      return int(load_shared_u32(row_table + kRegisterARowEndOffset + 4 * row));
    };
    // This warpgroup's blocks: the worker's blocks alternate between the
    // warpgroups across pieces; they rotate through the stages.
    const int first = int((kv_loads + m) & 1);
    constexpr int kStep = 2;
    if (e.num_blocks > 0) {
      if constexpr (kRowsHeld) {
        transposed_row_ends(p, piece, unit, lane, held_end);
      } else if (m == 0 && warp == 0 && lane < 4) {
        // Lanes 0..3 of a warp hold every row; the conversion's barrier
        // (kQConverted) publishes the table with the Q tile.
        int ends[kThreadRows];
        transposed_row_ends(p, piece, unit, lane, ends);
#pragma unroll
        for (int q = 0; q < kThreadRows; ++q) {
          store_shared_u32(row_table + kRegisterARowEndOffset + 4 * query_row(q),
                           uint32_t(ends[q]));
        }
      }
      mbarrier_wait(bars + 8 * kQFull, q_loads & 1);
      fence_proxy_async();
      // Blockwise leaves the RoPE slab in bf16 (issue_rope_scores).
      convert_q_to_f16<kRows, kBlockwise ? kLatentDim / 64 : kRowChunks / 8>(smem, smem_bytes, m,
                                                                             q_loads);
      if constexpr (kRowsHeld) {
        // Blockwise: the inverse Q scale alone (blockwise_scores applies it
        // to the latent part only); e4m3: times the softmax's.
#pragma unroll
        for (int q = 0; q < kThreadRows; ++q) {
          held_scale[q] = (kBlockwise ? 1.f : p.scale_log2) * q_scale(query_row(q));
        }
      }
      // Q stays until both warpgroups have issued their last Sᵀ of it.
      if (first >= e.num_blocks) mbarrier_arrive(bars + 8 * kQEmpty);
    }
    // Zeroed after the conversion, which holds a row's words meanwhile.
    float acc[kTiles][kFragment];
#pragma unroll
    for (int t = 0; t < kTiles; ++t) {
#pragma unroll
      for (int k = 0; k < kFragment; ++k) acc[t][k] = 0.f;
    }
    const SlabDescriptors q_tile(smem + kQOffset, 16), pt(p_tile, 16);
    for (int b = first; b < e.num_blocks; b += kStep) {
      const uint32_t load = kv_loads + b;
      const int stage = int(load % kStagesHere);
      const uint32_t staged = smem + kKvOffset + stage * kStageBytes;
      mbarrier_wait(bars + 8 * (kFull + stage), (load / kStagesHere) & 1);
      fence_proxy_async();

      float scores[kBlockwise ? kBlockwiseScales : 1][kFragment];
      float s[kFragment];
      float token_scales[2][kBlockwiseScales], shift[2][kBlockwiseScales];
      if constexpr (!kBlockwise) {
        scores_register_a<kRows>(scores, staged, q_tile, warp, lane, [] {});
#pragma unroll
        for (int k = 0; k < kFragment; ++k) s[k] = scores[0][k];
      } else {
        float rope[kFragment];
        scores_register_a<kRows>(scores, staged, q_tile, warp, lane, [&] {
          issue_rope_scores<kRows>(rope, staged, q_tile, warp, lane);
        });
        load_token_scales(token_scales, staged, fragment_row);
        blockwise_scores(s, scores, rope, token_scales, [&](int q) { return held_scale[q]; });
        token_group_shifts(shift, token_scales);
      }
      fence_registers(s);
      if (b + kStep >= e.num_blocks) mbarrier_arrive(bars + 8 * kQEmpty);

      // Mask, scale into the exp2 domain, the block's query-row maxima.
      const int token0 = (e.first_block + b) * kBlockTokens + fragment_row;
      float scale[kThreadRows], base[kThreadRows];
      if constexpr (kBlockwise) {
        float group_base[kThreadRows][kBlockwiseScales], group_scale[kThreadRows][kBlockwiseScales];
        blockwise_block_maxima<kRows>(s, shift, token0, piece.kv_begin,
                                      [&](int q) { return held_end[q]; }, p.scale_log2, row_max,
                                      row_sum, group_max, base, scale, group_base, group_scale,
                                      group_exchange, warp, lane, kTransposedMaxBarrier + m);
        store_blockwise_p<kRows>(s, shift, token_scales, base, group_base, group_scale, row_sum,
                                 acc, group_p_tiles, kSlabBytes, warp, lane,
                                 kTransposedPBarrier + m);
        issue_output_blockwise_register_a(acc, staged, group_p_tiles, kSlabBytes, warp, lane);
      } else {
        transposed_block_maxima(s, token0, piece.kv_begin,
                                [&](int q) {
                                  if constexpr (kRowsHeld) return held_end[q];
                                  else return row_end(query_row(q));
                                },
                                [&](int q) {
                                  if constexpr (kRowsHeld) return held_scale[q];
                                  else return p.scale_log2 * q_scale(query_row(q));
                                },
                                row_max, row_sum, base,
                                scale, max_exchange, warp, lane, kTransposedMaxBarrier + m);
        // P, kept in this thread's row sums, stored as Pᵀ in f16 in output_slot order.
        store_transposed_p(s, base, scale, row_sum, acc, p_tile, fragment_row, lane,
                           [](int token) { return output_slot(token); },
                           [](float v) { return f16_bits(v); },
                           kTransposedPBarrier + m);

        issue_output_register_a<kRows>(acc, staged, pt, warp, lane);
      }
      // The stage is free once its last chunks are converted (the wgmmas
      // read registers and Pᵀ): release it before they complete.
      mbarrier_arrive(bars + 8 * (kEmpty + stage));
      wgmma_wait<0>();
#pragma unroll
      for (int t = 0; t < kTiles; ++t) fence_registers(acc[t]);
    }
    kv_loads += uint32_t(e.num_blocks);
    if (e.num_blocks > 0) ++q_loads;

    // Row totals over the warpgroup (alternate pieces, alternate halves).
    const uint32_t sum_exchange = transposed_sum_exchange(smem, pieces_done, m);
    float total[kThreadRows];
    transposed_row_totals(row_sum, sum_exchange, warp, lane, kTransposedPBarrier + m, total);

    // Merge: the warpgroups swap halves of Oᵀ — warpgroup m keeps latent
    // tiles [4m, 4m + 4) and sends the other four — and each rescales its
    // half to the common maxima and writes it. Each first publishes its
    // rows' maxima and totals (one per query row: every thread of a row
    // holds the same), then the sent tiles go in parts of 16 floats per
    // thread, one buffer per direction (kMergeFull / kMergeEmpty + sender).
    // Both compute the same factors and totals (a + b == b + a). The tiles
    // are picked by m through selects, never by a run-time index (that
    // would put the accumulators in local memory).
    constexpr int kHalfTiles = kTiles / 2;
    constexpr int kParts = kHalfTiles * kFragment / 16;
    // (32-bit shared addresses throughout: generic pointers cost registers.)
    const uint32_t stats = smem + kRegisterAMergeStatsOffset;
    constexpr int kStats = kBlockwise ? kMergeStats : 2;  // e4m3: no group maxima
    const uint32_t my_stats = stats + m * kStats * kTransposedRowLimit * 4;
    const uint32_t their_stats = stats + (1 - m) * kStats * kTransposedRowLimit * 4;
    const auto stat = [](uint32_t table, int which, int row) {
      return table + 4 * (which * kTransposedRowLimit + row);
    };
    const auto their = [&](int which, int row) {
      return __uint_as_float(load_shared_u32(stat(their_stats, which, row)));
    };
    float own[kThreadRows], other[kThreadRows];  // each side's factor
    // Blockwise: the factors of the two groups whose tiles this warpgroup
    // keeps (2m, 2m + 1), and the common bases its output needs.
    float kept_own[kThreadRows][2], kept_other[kThreadRows][2], kept_base[kThreadRows][2];
#pragma unroll
    for (int part = 0; part < kParts; ++part, ++merges) {
      mbarrier_wait(bars + 8 * (kMergeEmpty + m), (merges & 1) ^ 1);
      if (part == 0 && warp == 0 && lane < 4) {
#pragma unroll
        for (int q = 0; q < kThreadRows; ++q) {
          store_shared_f32(stat(my_stats, 0, query_row(q)), row_max[q]);
          store_shared_f32(stat(my_stats, 1, query_row(q)), total[q]);
          if constexpr (kBlockwise) {
#pragma unroll
            for (int g = 0; g < kBlockwiseScales; ++g) {
              store_shared_f32(stat(my_stats, 2 + g, query_row(q)), group_max[q][g]);
            }
          }
        }
      }
#pragma unroll
      for (int slot = 0; slot < 4; ++slot) {
        float v[4];
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          const int f = 16 * part + 4 * slot + e, t = f / kFragment, k = f % kFragment;
          v[e] = m == 0 ? acc[kHalfTiles + t][k] : acc[t][k];
        }
        store_shared_v4(smem + warpgroup_exchange_offset(m, slot, thread),
                        make_uint4(__float_as_uint(v[0]), __float_as_uint(v[1]),
                                   __float_as_uint(v[2]), __float_as_uint(v[3])));
      }
      mbarrier_arrive(bars + 8 * (kMergeFull + m));

      mbarrier_wait(bars + 8 * (kMergeFull + 1 - m), merges & 1);
      if (part == 0) {
#pragma unroll
        for (int q = 0; q < kThreadRows; ++q) {
          const float their_max = their(0, query_row(q));
          const float common = fmaxf(row_max[q], their_max);
          const float base = softmax_base(common);
          own[q] = softmax_rescale(row_max[q], base, Exp2Flush{});  // 0: a side that saw no key
          other[q] = softmax_rescale(their_max, base, Exp2Flush{});
          total[q] = total[q] * own[q] + their(1, query_row(q)) * other[q];
          row_max[q] = common;
          if constexpr (kBlockwise) {
#pragma unroll
            for (int j = 0; j < 2; ++j) {
              // Group 2m + j, picked by select (m is a run-time value).
              const float mine = m == 0 ? group_max[q][j] : group_max[q][2 + j];
              const float theirs = their(2 + (m == 0 ? j : 2 + j), query_row(q));
              kept_base[q][j] = softmax_base(fmaxf(mine, theirs));
              kept_own[q][j] = softmax_rescale(mine, kept_base[q][j], Exp2Flush{});
              kept_other[q][j] = softmax_rescale(theirs, kept_base[q][j], Exp2Flush{});
            }
          }
        }
      }
#pragma unroll
      for (int slot = 0; slot < 4; ++slot) {
        const uint4 in = load_shared_v4(smem + warpgroup_exchange_offset(1 - m, slot, thread));
        const float theirs[4] = {__uint_as_float(in.x), __uint_as_float(in.y),
                                 __uint_as_float(in.z), __uint_as_float(in.w)};
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          const int f = 16 * part + 4 * slot + e, t = f / kFragment, k = f % kFragment;
          const int q = 2 * (k / 4) + (k & 1);
          float& low = acc[t][k];
          float& high = acc[kHalfTiles + t][k];
          // Blockwise: tile t of the kept half is group 2m + t / 2.
          const float mine_factor = kBlockwise ? kept_own[q][t / 2] : own[q];
          const float their_factor = kBlockwise ? kept_other[q][t / 2] : other[q];
          const float merged = (m == 0 ? low : high) * mine_factor + theirs[e] * their_factor;
          low = m == 0 ? merged : low;
          high = m == 0 ? high : merged;
        }
      }
      mbarrier_arrive(bars + 8 * (kMergeEmpty + 1 - m));
    }

    // Each warpgroup writes its half of the rows: its thread's latent
    // values of a row are a run of consecutive values (tile t, halves 0 / 1
    // are values 2t, 2t + 1 of the run): 16 rows, tiles 4m..4m + 3 of
    // output_latent's run of eight; 32 rows, pass m of
    // issue_output_register_a (split_output_latent).
    const int g = lane / 4;
#pragma unroll
    for (int q = 0; q < kThreadRows; ++q) {
      const int r = query_row(q);
      if (r >= unit.row_count) continue;
      // out_scale: fp8_e4m3's per-tensor scale, left out of the dequantized V
      // (blockwise: group_output_factor below).
      const float inverse = total[q] > 0.f ? p.out_scale / total[q] : 0.f;
      const int index = unit.row_begin + r;
      if (m == 0 && warp == 0 && g == 0) {
        store_transposed_lse(p, piece, unit, r, row_max[q], total[q]);
      }
      const int k0 = 4 * (q >> 1) + (q & 1);  // half 0; half 1 is k0 + 2
      if constexpr (kBlockwise) {
        // Group-pure tiles: kept tiles 2j, 2j + 1 are group 2m + j, its
        // latent values 128 (2m + j) + 4 word + 0..3 (blockwise_output_latent),
        // each group on its own base.
#pragma unroll
        for (int j = 0; j < 2; ++j) {
          const float factor = p.out_scale * group_output_factor(kept_base[q][j],
                                                                 softmax_base(row_max[q]), total[q]);
          const float v[4] = {
              (m == 0 ? acc[2 * j][k0] : acc[kHalfTiles + 2 * j][k0]) * factor,
              (m == 0 ? acc[2 * j][k0 + 2] : acc[kHalfTiles + 2 * j][k0 + 2]) * factor,
              (m == 0 ? acc[2 * j + 1][k0] : acc[kHalfTiles + 2 * j + 1][k0]) * factor,
              (m == 0 ? acc[2 * j + 1][k0 + 2] : acc[kHalfTiles + 2 * j + 1][k0 + 2]) * factor};
          const int latent = blockwise_output_latent(warp, g, 2 * (2 * m + j), 0);
          if (piece.slot < 0) {
            uint16_t* out = p.out + (unit.q_start + index / p.num_heads) * p.out_token_stride +
                            (index % p.num_heads) * p.out_head_stride + latent;
            *reinterpret_cast<uint2*>(out) =
                make_uint2(pack_bf16x2(v[0], v[1]), pack_bf16x2(v[2], v[3]));
          } else {
            float* out =
                p.partial_out + (int64_t(piece.slot) * p.slot_rows + r) * kLatentDim + latent;
            *reinterpret_cast<float4*>(out) = make_float4(v[0], v[1], v[2], v[3]);
          }
        }
        continue;
      }
      const int latent0 = kRows == 16 ? output_latent(warp, g, kHalfTiles * m, 0)
                                      : split_output_latent(m, warp, g, 0, 0);
      float kept[kHalfTiles][2];
#pragma unroll
      for (int t = 0; t < kHalfTiles; ++t) {
#pragma unroll
        for (int half = 0; half < 2; ++half) {
          kept[t][half] = (m == 0 ? acc[t][k0 + 2 * half] : acc[kHalfTiles + t][k0 + 2 * half]) *
                          inverse;
        }
      }
      if (piece.slot < 0) {
        uint16_t* out = p.out + (unit.q_start + index / p.num_heads) * p.out_token_stride +
                        (index % p.num_heads) * p.out_head_stride + latent0;
        *reinterpret_cast<uint4*>(out) =
            make_uint4(pack_bf16x2(kept[0][0], kept[0][1]), pack_bf16x2(kept[1][0], kept[1][1]),
                       pack_bf16x2(kept[2][0], kept[2][1]), pack_bf16x2(kept[3][0], kept[3][1]));
      } else {
        float* out = p.partial_out + (int64_t(piece.slot) * p.slot_rows + r) * kLatentDim + latent0;
        reinterpret_cast<float4*>(out)[0] =
            make_float4(kept[0][0], kept[0][1], kept[1][0], kept[1][1]);
        reinterpret_cast<float4*>(out)[1] =
            make_float4(kept[2][0], kept[2][1], kept[3][0], kept[3][1]);
      }
    }
  }
}

}  // namespace mladec::detail
