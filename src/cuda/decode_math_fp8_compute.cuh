#pragma once
// The math warpgroups of the fp8-compute form: e4m3 caches at 64-row tiles
// when the problem asks for it (DecodeProblem::fp8_compute). Every product
// is an e4m3 wgmma (twice bf16's rate) on operands the producer prepared
// (fp8_compute_producer.cuh), with no conversion in the math at all:
//   Sᵀ  = K·Qᵀ    18 × m64n32k32: A = the staged block, B = warpgroup m's
//                 32 query rows of the quantized Q tile;
//   Oᵀ += Vᵀ·Pᵀ   4 latent tiles × 2 k-steps of m64n64k32: A = Vᵀ (the
//                 producer's transpose), B = Pᵀ of all 64 rows (e4m3, times
//                 2^8), warpgroup m's half of the latent values.
// Each warpgroup owns the softmax of its 32 rows; per block the two publish
// their Pᵀ rows and rescale factors to each other (kPublished) and each
// rescales its half of Oᵀ for all 64 rows. The next block's Sᵀ is issued
// before this block's softmax, so the tensor cores work through it while
// the softmax runs.
//
// Accumulator fragments (f32): thread (warp w, lane l) holds element 4i + x
// at row 16w + l/4 + 8(x >> 1), column 8i + 2(l % 4) + (x & 1). Sᵀ: rows
// tokens, columns the warpgroup's query rows (transposed_softmax.cuh's
// convention at 32 rows); Oᵀ: rows latent values (fp8_compute_latent),
// columns the tile's 64 query rows.
#include <cstdint>

#include "mladec/constants.h"
#include "src/core/fp8_compute_layout.h"
#include "src/cuda/async_copy.cuh"
#include "src/cuda/decode_layout.cuh"
#include "src/cuda/decode_params.h"
#include "src/cuda/hopper.cuh"
#include "src/cuda/transposed_softmax.cuh"

namespace mladec::detail {

// Sᵀ of a staged block for warpgroup m's 32 rows, into s (issued, committed).
__device__ __forceinline__ void issue_fp8_scores(float (&s)[16], uint32_t staged, uint32_t q8,
                                                 int m) {
  const Sw64Descriptors k_block(staged), q_rows(q8 + 32 * m * kFp8ComputeRowBytes);
  wgmma_fence();
#pragma unroll
  for (int k = 0; k < 2 * kFp8ComputeSlabs; ++k) {
    const uint32_t offset = (k / 2) * kFp8ComputeTileBytes + 32 * (k % 2);
    if (k == 0) {
      wgmma_m64n32k32_e4m3_ss<false>(s, k_block.at(offset), q_rows.at(offset));
    } else {
      wgmma_m64n32k32_e4m3_ss<true>(s, k_block.at(offset), q_rows.at(offset));
    }
  }
  wgmma_commit();
}

// Oᵀ += Vᵀ·Pᵀ for warpgroup m's four latent tiles (issued, committed).
__device__ __forceinline__ void issue_fp8_output(float (&acc)[4][32], uint32_t vt, uint32_t pt,
                                                 int m) {
  const Sw64Descriptors v_rows(vt + 4 * m * kFp8ComputeTileBytes), p_rows(pt);
  wgmma_fence();
#pragma unroll
  for (int t = 0; t < 4; ++t) {
#pragma unroll
    for (int kk = 0; kk < 2; ++kk) {
      wgmma_m64n64k32_e4m3_ss(acc[t], v_rows.at(t * kFp8ComputeTileBytes + 32 * kk),
                              p_rows.at(32 * kk));
    }
  }
  wgmma_commit();
}

// The 16 floats of `exchange` this thread's Oᵀ columns need (query rows 8i +
// 2c + e at 2i + e: fp8_compute_row_index).
__device__ __forceinline__ void load_row_values(uint32_t exchange, int lane, float (&v)[16]) {
#pragma unroll
  for (int j = 0; j < 4; ++j) {
    const uint4 w = load_shared_v4(exchange + 4 * (16 * (lane % 4) + 4 * j));
    v[4 * j] = __uint_as_float(w.x);
    v[4 * j + 1] = __uint_as_float(w.y);
    v[4 * j + 2] = __uint_as_float(w.z);
    v[4 * j + 3] = __uint_as_float(w.w);
  }
}

// v = s as instructions of their own, ordered before the next Sᵀ is issued
// into s: as a plain copy the compiler read s's registers in place during
// the softmax while that wgmma wrote them, and ptxas serialized every wgmma
// (C7514).
__device__ __forceinline__ void copy_scores(float (&v)[16], const float (&s)[16]) {
#pragma unroll
  for (int k = 0; k < 16; ++k) asm volatile("mov.b32 %0, %1;\n" : "=f"(v[k]) : "f"(s[k]));
}

// warp_group (m): 0 or 1 at run time.
__device__ __forceinline__ void run_math_fp8_compute(const DecodeParams& p, uint32_t smem,
                                                     int begin, int end, int warp_group) {
  using namespace decode_layout::fp8_compute;
  using decode_layout::kBlockTokens;
  using decode_layout::kTileRows;
  using decode_layout::kTransposedMaxBarrier;
  using decode_layout::kTransposedPBarrier;
  const int m = __shfl_sync(0xffffffffu, warp_group, 0);
  constexpr int kThreadRows = 8;  // of the warpgroup's 32 query rows
  const int warp = (threadIdx.x / 32) % 4;
  const int lane = threadIdx.x % 32;
  const int fragment_row = warp * 16 + lane / 4;
  const uint32_t bars = smem + kBarrierOffset;
  const uint32_t q8 = smem + kQ8Offset;
  const uint32_t max_exchange = smem + kMaxExchangeOffset + m * 4 * 32 * 4;
  // A warpgroup row q's tile row.
  const auto tile_row = [&](int q) { return 32 * m + transposed_query_row(q, lane); };
  uint32_t q_loads = 0, kv_loads = 0, pieces_done = 0, exchanges = 0;

  // Publishes what this warpgroup wrote for the other (Pᵀ rows, row values)
  // and waits for the other's.
  const auto exchange_rows = [&] {
    const uint32_t bar = bars + 8 * (kPublished + (exchanges & 1));
    mbarrier_arrive(bar);
    mbarrier_wait(bar, (exchanges >> 1) & 1);
    ++exchanges;
  };
  const auto row_exchange = [&](int quantity) {
    return smem + kRowExchangeOffset + (exchanges & 1) * kRowExchangeBytes +
           quantity * kTileRows * 4;
  };

  for (int i = begin; i < end; ++i, ++pieces_done) {
    const PlanPiece piece = p.pieces[i];
    const PlanUnit unit = p.units[piece.unit];
    const PieceExtent e = piece_extent(p, piece, unit);
    float row_max[kThreadRows], row_sum[kThreadRows];
#pragma unroll
    for (int q = 0; q < kThreadRows; ++q) {
      row_max[q] = -INFINITY;
      row_sum[q] = 0.f;  // this thread's tokens only
    }
    float acc[4][32];
#pragma unroll
    for (int t = 0; t < 4; ++t) {
#pragma unroll
      for (int k = 0; k < 32; ++k) acc[t][k] = 0.f;
      // Here, not sunk past the first Sᵀ issue (ptxas serialized every
      // wgmma when the zeros were defined while one was in flight, C7515).
      fence_registers(acc[t]);
    }
    // Block bb's softmax on v (its Sᵀ, copied out of the accumulators
    // before any wgmma is issued: C7514 / C7515): its Pᵀ rows (times 2^8, e4m3;
    // tokens g and g + 8 of a query row in adjacent slots) into tile
    // `load % kPBuffers`, published with its rescale factors; `factors` is
    // where both warpgroups' factors are.
    float s[16], v[16];
    uint32_t factors = 0;
    const auto block_softmax = [&](int bb, uint32_t load) {
      // Each row's key end and score factor from the tables, here rather
      // than held across the block loop: the registers of the Sᵀ in flight.
      float base[kThreadRows], scale[kThreadRows], score_scale[kThreadRows];
      int end[kThreadRows];
#pragma unroll
      for (int q = 0; q < kThreadRows; ++q) {
        end[q] = int(load_shared_u32(smem + kRowEndOffset + 4 * tile_row(q)));
        score_scale[q] = p.scale_log2 * __uint_as_float(load_shared_u32(
                                            smem + kQScaleOffset + 4 * tile_row(q)));
      }
      transposed_block_maxima(v, (e.first_block + bb) * kBlockTokens + fragment_row,
                              piece.kv_begin, [&](int q) { return end[q]; },
                              [&](int q) { return score_scale[q]; }, row_max, row_sum, base,
                              scale, max_exchange, warp, lane, kTransposedMaxBarrier + m);
      factors = row_exchange(0);
      if (warp == 0 && lane < 4) {
#pragma unroll
        for (int q = 0; q < kThreadRows; ++q) {
          store_shared_f32(factors + 4 * fp8_compute_row_index(tile_row(q)), scale[q]);
        }
      }
      // The tile's last readers were the Oᵀ(load - 3): this warpgroup's is
      // done, and the other's was before it published block load - 1.
      const uint32_t pt = smem + kPOffset + (load % kPBuffers) * kFp8ComputePBytes;
#pragma unroll
      for (int q = 0; q < kThreadRows; ++q) {
        const int k = 4 * (q >> 1) + (q & 1);  // token rows g (k) and g + 8 (k + 2)
        const float shifted = base[q] - kFp8ComputePShift;
        const float p0 = exp2_flush(v[k] - shifted), p1 = exp2_flush(v[k + 2] - shifted);
        row_sum[q] += p0 + p1;
        store_shared_u16(pt + sw64_offset(tile_row(q), 16 * warp + 2 * (lane / 4)),
                         uint16_t(pack_e4m3x2(p0, p1)));
      }
      fence_proxy_async();
      exchange_rows();
    };
    const auto stage_of = [&](uint32_t load) {
      return smem + kRawOffset + (load % kRawStages) * kRawBytes;
    };
    const auto wait_staged = [&](uint32_t load) {
      mbarrier_wait(bars + 8 * (kRawFull + load % kRawStages), (load / kRawStages) & 1);
    };
    // The pipeline: per block b, Oᵀ(b) and Sᵀ(b + 2) are issued, and block
    // b + 1's softmax runs on its copy of Sᵀ(b + 1) while they do.
    // Every wait is for all groups and no accumulator is touched between
    // two issued groups: otherwise ptxas serializes every wgmma (C7514 /
    // C7515: bench/NOTES.md). Past the last block, Sᵀ is issued on the last
    // block again (result unused; its stage and Q are held until the piece
    // ends), so that s never depends on a branch.
    const uint32_t last = kv_loads + uint32_t(e.num_blocks) - 1;
    if (e.num_blocks > 0) {
      // The key ends of the warpgroup's rows (the causal mask of MTP rows;
      // rows past the tile's row count see none), published to its threads.
      if (warp == 0 && lane < 4) {
#pragma unroll
        for (int q = 0; q < kThreadRows; ++q) {
          const int r = tile_row(q);
          const int t = (unit.row_begin + r) / p.num_heads;
          const int visible = p.causal ? unit.kv_len - unit.q_len + t + 1 : unit.kv_len;
          store_shared_u32(smem + kRowEndOffset + 4 * r,
                           uint32_t(r < unit.row_count ? min(piece.kv_end, visible)
                                                       : piece.kv_begin));
        }
      }
      named_barrier_sync(kTransposedPBarrier + m, decode_layout::kWarpgroupThreads);
      mbarrier_wait(bars + 8 * kQFull, q_loads & 1);
      wait_staged(kv_loads);
      issue_fp8_scores(s, stage_of(kv_loads), q8, m);
      wgmma_wait<0>();
      fence_registers(s);
      copy_scores(v, s);
      block_softmax(0, kv_loads);
      const uint32_t second = e.num_blocks > 1 ? kv_loads + 1 : last;
      if (e.num_blocks > 1) {
        mbarrier_arrive(bars + 8 * (kRawEmpty + kv_loads % kRawStages));
        wait_staged(second);
      }
      issue_fp8_scores(s, stage_of(second), q8, m);
    }
    for (int b = 0; b < e.num_blocks; ++b) {
      const uint32_t load = kv_loads + b;
      wgmma_wait<0>();  // Sᵀ(b + 1), Oᵀ(b - 1)
      fence_registers(s);
#pragma unroll
      for (int t = 0; t < 4; ++t) fence_registers(acc[t]);
      copy_scores(v, s);
      if (b > 0) mbarrier_arrive(bars + 8 * (kVtEmpty + (load - 1) % kVtBuffers));
      if (load + 1 < last) mbarrier_arrive(bars + 8 * (kRawEmpty + (load + 1) % kRawStages));
      // Oᵀ to block b's maxima — only where one of this thread's rows moved
      // (a factor of exactly 1 otherwise: exp2(0)), the common case once
      // the first blocks have set the maxima.
      float factor[16];
      load_row_values(factors, lane, factor);
      bool moved = false;
#pragma unroll
      for (int n = 0; n < 16; ++n) moved |= factor[n] != 1.f;
      if (moved) {
#pragma unroll
        for (int t = 0; t < 4; ++t) {
#pragma unroll
          for (int k = 0; k < 32; ++k) acc[t][k] *= factor[2 * (k / 4) + (k & 1)];
        }
      }
#pragma unroll
      for (int t = 0; t < 4; ++t) {
        // Keeps the multiplies before the wgmmas (left to the scheduler,
        // some sank past the first one and ptxas serialized every wgmma).
        fence_registers(acc[t]);
      }
      const int buffer = int(load % kVtBuffers);
      mbarrier_wait(bars + 8 * (kVtFull + buffer), (load / kVtBuffers) & 1);
      const uint32_t ahead = load + 2 <= last ? load + 2 : last;
      if (load + 2 <= last) wait_staged(ahead);
      issue_fp8_output(acc, smem + kVtOffset + buffer * kFp8ComputeVtBytes,
                       smem + kPOffset + (load % kPBuffers) * kFp8ComputePBytes, m);
      issue_fp8_scores(s, stage_of(ahead), q8, m);
      if (b + 1 < e.num_blocks) block_softmax(b + 1, load + 1);
    }
    // Unconditional, so that ptxas sees every path to the output wait.
    wgmma_wait<0>();
    fence_registers(s);
#pragma unroll
    for (int t = 0; t < 4; ++t) fence_registers(acc[t]);
    if (e.num_blocks > 0) {
      mbarrier_arrive(bars + 8 * (kVtEmpty + last % kVtBuffers));
      mbarrier_arrive(bars + 8 * (kRawEmpty + last % kRawStages));
      mbarrier_arrive(bars + 8 * kQEmpty);  // this warpgroup's last Sᵀ of the tile is done
      ++q_loads;
    }
    kv_loads += uint32_t(e.num_blocks);

    // Row totals over the warpgroup, then both warpgroups' maxima and totals
    // for all 64 rows.
    float total[kThreadRows];
    transposed_row_totals(row_sum,
                          smem + kSumExchangeOffset + ((pieces_done & 1) * 2 + m) * 4 * 32 * 4,
                          warp, lane, kTransposedPBarrier + m, total);
    const uint32_t maxima = row_exchange(0), totals = row_exchange(1);
    if (warp == 0 && lane < 4) {
#pragma unroll
      for (int q = 0; q < kThreadRows; ++q) {
        store_shared_f32(maxima + 4 * fp8_compute_row_index(tile_row(q)), row_max[q]);
        store_shared_f32(totals + 4 * fp8_compute_row_index(tile_row(q)), total[q]);
        // The LSE of the row (its base was 2^8 too large).
        if (tile_row(q) < unit.row_count) {
          store_transposed_lse(p, piece, unit, tile_row(q), row_max[q] - kFp8ComputePShift,
                               total[q]);
        }
      }
    }
    exchange_rows();
    float row_total[16];
    load_row_values(totals, lane, row_total);

    // Oᵀ's column 8i + 2c + x of tiles t, rows g (+ 8): latent values
    // 256 m + 8 (8 w + g) + 2 t (+ 1), eight consecutive ones per query row.
    const int latent0 = fp8_compute_latent(m, 0, fragment_row);
#pragma unroll
    for (int n = 0; n < 16; ++n) {
      const int r = 8 * (n / 2) + 2 * (lane % 4) + (n % 2);
      if (r >= unit.row_count) continue;
      const float inverse = row_total[n] > 0.f ? p.out_scale / row_total[n] : 0.f;
      const int k = 4 * (n / 2) + (n % 2);
      float v[8];
#pragma unroll
      for (int t = 0; t < 4; ++t) {
        v[2 * t] = acc[t][k] * inverse;
        v[2 * t + 1] = acc[t][k + 2] * inverse;
      }
      const int index = unit.row_begin + r;
      if (piece.slot < 0) {
        uint16_t* out = p.out + (unit.q_start + index / p.num_heads) * p.out_token_stride +
                        (index % p.num_heads) * p.out_head_stride + latent0;
        *reinterpret_cast<uint4*>(out) =
            make_uint4(pack_bf16x2(v[0], v[1]), pack_bf16x2(v[2], v[3]),
                       pack_bf16x2(v[4], v[5]), pack_bf16x2(v[6], v[7]));
      } else {
        float* out = p.partial_out + (int64_t(piece.slot) * p.slot_rows + r) * kLatentDim + latent0;
        reinterpret_cast<float4*>(out)[0] = make_float4(v[0], v[1], v[2], v[3]);
        reinterpret_cast<float4*>(out)[1] = make_float4(v[4], v[5], v[6], v[7]);
      }
    }
  }
}

}  // namespace mladec::detail
