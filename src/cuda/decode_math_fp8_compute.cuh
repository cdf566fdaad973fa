#pragma once
// The math warpgroups of the fp8-compute form: e4m3 caches at 64-row tiles
// when the problem asks for it (DecodeProblem::fp8_compute). Every product
// is an e4m3 wgmma (twice bf16's rate) on the staged blocks and the Vᵀ the
// producer prepared (fp8_compute_producer.cuh), with no conversion in the
// block loop but P's:
//   S  = Q·Kᵀ    18 × m64n64k32: A = the Q tile, quantized by the math
//                warpgroups at each piece's start (quantize_q_tile), B = the
//                staged block (tokens as rows: K-major as it lands);
//   O += P·V     2 k-steps of m64n256k32: A = P (e4m3, times 2^8) from
//                registers, B = warpgroup m's half of Vᵀ (the producer's
//                transpose: K-major).
// The schedule is the bf16 row form's seesaw (decode_math_rows.cuh): the
// blocks of a piece alternate between the warpgroups; the owner of a block
// computes its S, softmax and P and publishes P (its A fragments, for the
// same thread of the other warpgroup), the new row maxima and the rescale
// factors; each warpgroup multiplies every block into its half of O. One
// warpgroup's softmax runs while the other's wgmmas do. (A first form split
// each block's rows between the warpgroups, which then met at every block,
// 667-705 us at 128x8192 h_q 128: bench/NOTES.md v45.)
//
// Accumulator fragments (f32): thread (warp w, lane l) holds element 4n + x
// at row 16w + l/4 + 8(x >> 1), column 8n + 2(l % 4) + (x & 1): S's columns
// are tokens, O's are latent values in fp8_compute_latent's order.
#include <cstdint>

#include "mladec/constants.h"
#include "src/core/fp8_compute_layout.h"
#include "src/cuda/async_copy.cuh"
#include "src/cuda/block_trace.cuh"
#include "src/cuda/decode_layout.cuh"
#include "src/cuda/decode_params.h"
#include "src/cuda/hopper.cuh"
#include "src/cuda/row_softmax.cuh"

namespace mladec::detail {

// Four floats as e4m3 bytes, the first in the low byte.
__device__ __forceinline__ uint32_t pack_e4m3x4(float v0, float v1, float v2, float v3) {
  return pack_e4m3x2(v0, v1) | (pack_e4m3x2(v2, v3) << 16);
}

// Warpgroup m's half of a piece's Q tile to e4m3: row r = 32m + 8·warp +
// lane / 4 by the four threads of a quad, chunk (8 values) 4j + lane % 4 of
// the row for j = 0..17 — every load in flight at once. Each row times
// 2^shift (fp8_compute_q_shift of its largest magnitude) rounded to e4m3
// into the tile's 9 slabs, 2^-shift to kQScaleOffset; rows past the unit's
// row count are zero. The math warpgroups quantize Q themselves, with the
// loads of all 64 rows in flight together: the producer's transposers (56
// registers) could keep one or two rows in flight, and the 22 latencies a
// warp then waited for were on every piece's path (bench/NOTES.md v48).
template <int m>
__device__ __forceinline__ void quantize_q_tile(const DecodeParams& p, const PlanUnit& unit,
                                                uint32_t smem, int warp, int lane) {
  using namespace decode_layout::fp8_compute;
  constexpr int kChunks = decode_layout::kRowChunks;  // of a bf16 row: 8 values each
  constexpr int kPerThread = kChunks / 4;
  static_assert(kChunks % 4 == 0, "the four threads of a quad share a row's chunks");
  const int r = m * (decode_layout::kTileRows / 2) + 8 * warp + lane / 4;
  const int quarter = lane % 4;
  uint4 chunk[kPerThread];
  if (r < unit.row_count) {
    const uint4* source = q_row_address(p, unit, r);
#pragma unroll
    for (int j = 0; j < kPerThread; ++j) chunk[j] = source[4 * j + quarter];
  } else {
#pragma unroll
    for (int j = 0; j < kPerThread; ++j) chunk[j] = make_uint4(0, 0, 0, 0);
  }
  float largest = 0.f;
#pragma unroll
  for (int j = 0; j < kPerThread; ++j) {
    const uint32_t words[4] = {chunk[j].x, chunk[j].y, chunk[j].z, chunk[j].w};
#pragma unroll
    for (int w = 0; w < 4; ++w) largest = fmaxf(largest, bf16x2_largest(words[w]));
  }
  largest = fmaxf(largest, __shfl_xor_sync(0xffffffffu, largest, 1));
  largest = fmaxf(largest, __shfl_xor_sync(0xffffffffu, largest, 2));
  const int shift = fp8_compute_q_shift(largest);
  const float factor = fp8_compute_power_of_two(shift);
#pragma unroll
  for (int j = 0; j < kPerThread; ++j) {
    const int c = 4 * j + quarter;
    const uint32_t words[4] = {chunk[j].x, chunk[j].y, chunk[j].z, chunk[j].w};
    store_shared_v2(
        smem + kQ8Offset + (c / 8) * kFp8ComputeTileBytes + sw64_offset(r, 8 * (c % 8)),
        make_uint2(pack_e4m3x4(bf16x2_low(words[0]) * factor, bf16x2_high(words[0]) * factor,
                               bf16x2_low(words[1]) * factor, bf16x2_high(words[1]) * factor),
                   pack_e4m3x4(bf16x2_low(words[2]) * factor, bf16x2_high(words[2]) * factor,
                               bf16x2_low(words[3]) * factor, bf16x2_high(words[3]) * factor)));
  }
  if (quarter == 0) {
    store_shared_f32(smem + kQScaleOffset + 4 * r, fp8_compute_power_of_two(-shift));
  }
}

// The epilogue's stores: each 16-byte store instruction of a warp fills
// whole 32-byte sectors. A thread's values of a row are runs of 32 bytes
// (bf16) or 64 bytes (fp32) that its own stores would write half a sector
// at a time (the L2 saw twice the sectors: bench/NOTES.md v48d); the two
// lanes of a pair (lane, lane ^ 1) each write one half of the same sector
// instead, swapping the halves they hold for the other's.
__device__ __forceinline__ uint4 shuffle_pair(uint4 v) {
  return make_uint4(__shfl_xor_sync(0xffffffffu, v.x, 1), __shfl_xor_sync(0xffffffffu, v.y, 1),
                    __shfl_xor_sync(0xffffffffu, v.z, 1), __shfl_xor_sync(0xffffffffu, v.w, 1));
}
__device__ __forceinline__ uint4 as_uint4(float a, float b, float c, float d) {
  return make_uint4(__float_as_uint(a), __float_as_uint(b), __float_as_uint(c), __float_as_uint(d));
}
template <typename T>
__device__ __forceinline__ void store_global_v4(T* address, uint4 v) {
  *reinterpret_cast<uint4*>(address) = v;
}

// S = Q·Kᵀ of the staged block at `staged` (one group, not waited for).
__device__ __forceinline__ void issue_fp8_scores(float (&s)[32], uint32_t q8, uint32_t staged) {
  const SlabDescriptors q_rows = sw64_descriptors(q8), k_block = sw64_descriptors(staged);
  wgmma_fence();
#pragma unroll
  for (int k = 0; k < 2 * kFp8ComputeSlabs; ++k) {
    const uint32_t offset = (k / 2) * kFp8ComputeTileBytes + 32 * (k % 2);
    if (k == 0) {
      wgmma_m64n64k32_e4m3_ss<false>(s, q_rows.at(offset), k_block.at(offset));
    } else {
      wgmma_m64n64k32_e4m3_ss<true>(s, q_rows.at(offset), k_block.at(offset));
    }
  }
  wgmma_commit();
}

// O[:, half m] += P·V of a block: P's A fragments, warpgroup m's half of the
// block's Vᵀ (one group, not waited for).
template <int m>
__device__ __forceinline__ void issue_fp8_output(float (&acc)[128], const uint32_t (&p_frag)[2][4],
                                                 uint32_t vt) {
  const SlabDescriptors v_rows =
      sw64_descriptors(vt + m * (kLatentDim / 2) * kFp8ComputeRowBytes);
  wgmma_fence();
#pragma unroll
  for (int kk = 0; kk < 2; ++kk) wgmma_m64n256k32_e4m3_rs(acc, p_frag[kk], v_rows.at(32 * kk));
  wgmma_commit();
}

// The owner's step for block b (S waited for): mask, scale, new row maxima,
// P (times 2^8) as e4m3 A fragments in p_frag and in P buffer `p_buffer`
// (fp8_compute_p_offset), and the maxima and rescale factors in exchange
// slot m; published on kPublished + m. Returns the factors in `scale`.
template <int m>
__device__ __forceinline__ void fp8_block_softmax(float (&s)[32], uint32_t (&p_frag)[2][4],
                                                  float (&scale)[2], RowState& rows,
                                                  const float (&score_scale)[2], int token0,
                                                  int kv_begin, const int (&row_end)[2],
                                                  uint32_t smem, uint32_t p_buffer, int r0,
                                                  int lane) {
  using namespace decode_layout::fp8_compute;
  row_block_softmax(s, scale, rows, [&](int h) { return score_scale[h]; }, kFp8ComputePShift,
                    token0, kv_begin, row_end);
  // The A fragments in slot order (fp8_compute_layout.h), as they are.
#pragma unroll
  for (int kk = 0; kk < 2; ++kk) {
#pragma unroll
    for (int reg = 0; reg < 4; ++reg) {
      p_frag[kk][reg] = pack_e4m3x2(s[fp8_compute_p_element(kk, reg, 0)],
                                    s[fp8_compute_p_element(kk, reg, 1)]) |
                        (pack_e4m3x2(s[fp8_compute_p_element(kk, reg, 2)],
                                     s[fp8_compute_p_element(kk, reg, 3)])
                         << 16);
    }
  }
  const int thread = threadIdx.x % decode_layout::kWarpgroupThreads;
  store_shared_v4(p_buffer + fp8_compute_p_offset(thread, 0),
                  make_uint4(p_frag[0][0], p_frag[0][1], p_frag[0][2], p_frag[0][3]));
  store_shared_v4(p_buffer + fp8_compute_p_offset(thread, 1),
                  make_uint4(p_frag[1][0], p_frag[1][1], p_frag[1][2], p_frag[1][3]));
  if ((lane & 3) == 0) {
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      const uint32_t row = 4 * (m * decode_layout::kTileRows + r0 + 8 * h);
      store_shared_f32(smem + kExchangeMaxOffset + row, rows.max[h]);
      store_shared_f32(smem + kExchangeScaleOffset + row, scale[h]);
    }
  }
  mbarrier_arrive(smem + kBarrierOffset + 8 * (kPublished + m));
}

// The other warpgroup's pickup of block b's publication (owner 1 − m): the
// running maxima, the factors for this warpgroup's rows and the owner's P
// fragments of the same thread. `taken` counts the publications taken: the
// owner never publishes twice before the other warpgroup took the first
// (each warpgroup takes the other's block between two own ones, and the
// row-total barrier ends every piece), and the P buffer (block parity) is
// rewritten only two blocks later, after this warpgroup's next publication
// — these loads come first.
template <int m>
__device__ __forceinline__ void take_fp8_publication(float (&scale)[2], uint32_t (&p_frag)[2][4],
                                                     RowState& rows, uint32_t smem,
                                                     uint32_t p_buffer, uint32_t& taken, int r0) {
  using namespace decode_layout::fp8_compute;
  mbarrier_wait(smem + kBarrierOffset + 8 * (kPublished + 1 - m), taken & 1);
  ++taken;
#pragma unroll
  for (int h = 0; h < 2; ++h) {
    const uint32_t row = 4 * ((1 - m) * decode_layout::kTileRows + r0 + 8 * h);
    rows.max[h] = __uint_as_float(load_shared_u32(smem + kExchangeMaxOffset + row));
    scale[h] = __uint_as_float(load_shared_u32(smem + kExchangeScaleOffset + row));
    rows.sum[h] *= scale[h];
  }
  const int thread = threadIdx.x % decode_layout::kWarpgroupThreads;
  const uint4 low = load_shared_v4(p_buffer + fp8_compute_p_offset(thread, 0));
  const uint4 high = load_shared_v4(p_buffer + fp8_compute_p_offset(thread, 1));
  p_frag[0][0] = low.x, p_frag[0][1] = low.y, p_frag[0][2] = low.z, p_frag[0][3] = low.w;
  p_frag[1][0] = high.x, p_frag[1][1] = high.y, p_frag[1][2] = high.z, p_frag[1][3] = high.w;
}

// Math warpgroup m (0 or 1), a template parameter: with a run-time m the
// choice of the owner's step would be a divergent branch around wgmma, and
// ptxas then serializes every wgmma. Warpgroup 0 owns the even blocks of a
// piece, warpgroup 1 the odd ones:
//   warpgroup 0, pair (b0, b1)           warpgroup 1
//   S(b0), softmax(b0), publish b0  →    S(b1) issued; take b0,
//                                        O_R += P0·V0_R
//   O_L += P0·V0_L                       softmax(b1), publish b1
//   take b1, O_L += P1·V1_L         ←    O_R += P1·V1_R
template <int m>
__device__ __forceinline__ void run_math_fp8_compute(const DecodeParams& p, uint32_t smem,
                                                     int begin, int end) {
  using namespace decode_layout::fp8_compute;
  using decode_layout::kBlockTokens;
  using decode_layout::kMathThreads;
  using decode_layout::kRowSumBarrier;
  using decode_layout::kTileRows;
  const int warp = (threadIdx.x / 32) % 4;
  const int lane = threadIdx.x % 32;
  const int r0 = warp * 16 + lane / 4;  // rows r0 and r0 + 8 are this thread's
  const bool odd = lane & 1;            // of its pair (the epilogue's stores)
  const uint32_t bars = smem + kBarrierOffset;
  const uint32_t q8 = smem + kQ8Offset;
  uint32_t kv_loads = 0, pieces_done = 0;
  uint32_t publications_taken = 0;  // of the other warpgroup's blocks

  for (int i = begin; i < end; ++i, ++pieces_done) {
    const PlanPiece piece = p.pieces[i];
    const PlanUnit unit = p.units[piece.unit];
    const PieceExtent e = piece_extent(p, piece, unit);
    // As decode_math_rows.cuh computes it: one helper for both moved the
    // verified 64-row kernels' SASS (sessions 13 and 14), so it waits for a
    // device check.
    int row_end[2];
    float score_scale[2] = {0.f, 0.f};
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      const int r = r0 + 8 * h;
      const int t = (unit.row_begin + r) / p.num_heads;
      const int visible = p.causal ? unit.kv_len - unit.q_len + t + 1 : unit.kv_len;
      row_end[h] = r < unit.row_count ? min(piece.kv_end, visible) : piece.kv_begin;
    }
    trace(kTracePieceStart, kv_loads);
    if (e.num_blocks > 0) {
      // The last piece's S products are complete: both warpgroups waited
      // for them before its row-total barrier.
      quantize_q_tile<m>(p, unit, smem, warp, lane);
      fence_proxy_async();  // the stores, before the wgmmas read them
      named_barrier_sync(kQReadyBarrier, kMathThreads);
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        score_scale[h] = p.scale_log2 * __uint_as_float(load_shared_u32(
                                            smem + kQScaleOffset + 4 * (r0 + 8 * h)));
      }
    }
    RowState rows{{-INFINITY, -INFINITY}, {0.f, 0.f}};
    float acc[128];
#pragma unroll
    for (int k = 0; k < 128; ++k) acc[k] = 0.f;
    // Here, not sunk past the first wgmma issue (ptxas serialized every
    // wgmma when zeros were defined while one was in flight, C7515).
    fence_registers(acc);
    // Vᵀ buffer of this warpgroup's last issued P·V, released once waited for.
    int pending_release = -1;
    const auto finish_output = [&] {
      wgmma_wait<0>();
      fence_registers(acc);
      trace(kTraceOutputDone, uint32_t(pending_release));
      if (pending_release >= 0) mbarrier_arrive(bars + 8 * (kVtEmpty + pending_release));
      pending_release = -1;
    };
    const auto token0 = [&](int b) {
      return (e.first_block + b) * kBlockTokens + 2 * (lane & 3);
    };
    const auto p_buffer = [&](uint32_t load) {
      return smem + kPOffset + (load & 1) * kFp8ComputePBytes;
    };

    float s[32];
    uint32_t p_frag[2][4];
    float scale[2];
    // S of an own block, waited for; its stage then is free of this warpgroup.
    const auto block_scores = [&](uint32_t load) {
      const int stage = int(load % kRawStages);
      mbarrier_wait(bars + 8 * (kRawFull + stage), (load / kRawStages) & 1);
      trace(kTraceFullWaited, load);
      issue_fp8_scores(s, q8, smem + kRawOffset + stage * kRawBytes);
      trace(kTraceScoresIssued, load);
      wgmma_wait<0>();
      fence_registers(s);
      trace(kTraceScoresDone, load);
      mbarrier_arrive(bars + 8 * (kRawEmpty + stage));
    };
    const auto output = [&](uint32_t load) {
      const int buffer = int(load % kVtBuffers);
      mbarrier_wait(bars + 8 * (kVtFull + buffer), (load / kVtBuffers) & 1);
      trace(kTraceVtWaited, load);
      rescale_output(acc, scale);
      issue_fp8_output<m>(acc, p_frag, smem + kVtOffset + buffer * kFp8ComputeVtBytes);
      trace(kTraceOutputIssued, load);
      pending_release = buffer;
    };
    // Softmax and publication of an own block, then its P·V.
    const auto own_output = [&](int b, uint32_t load) {
      fp8_block_softmax<m>(s, p_frag, scale, rows, score_scale, token0(b), piece.kv_begin,
                           row_end, smem, p_buffer(load), r0, lane);
      trace(kTracePublished, load);
      output(load);
    };
    // P·V of the other warpgroup's block.
    const auto other_output = [&](uint32_t load) {
      take_fp8_publication<m>(scale, p_frag, rows, smem, p_buffer(load), publications_taken, r0);
      trace(kTraceTaken, load);
      output(load);
    };

    for (int b0 = 0; b0 < e.num_blocks; b0 += 2) {
      const int b1 = b0 + 1;
      const bool has_b1 = b1 < e.num_blocks;
      const uint32_t load0 = kv_loads + b0, load1 = kv_loads + b1;
      finish_output();
      if constexpr (m == 0) {
        // S(b0) was issued with the last pair's P·V(b0 - 2) when it had one
        // (complete now: finish_output waits for every group).
        if (b0 == 0) {
          block_scores(load0);
        } else {
          fence_registers(s);
          // Complete since finish_output: the trace's end of S(b0).
          trace(kTraceScoresDone, load0);
          mbarrier_arrive(bars + 8 * (kRawEmpty + load0 % kRawStages));
        }
        own_output(b0, load0);
        // The next own block's S right behind P·V(b0), O untouched between
        // them: it runs while warpgroup 1 takes b0 and computes b1, and is
        // done when this warpgroup comes back to it.
        if (b0 + 2 < e.num_blocks) {
          const uint32_t ahead = load0 + 2;
          const int stage = int(ahead % kRawStages);
          mbarrier_wait(bars + 8 * (kRawFull + stage), (ahead / kRawStages) & 1);
          trace(kTraceFullWaited, ahead);
          issue_fp8_scores(s, q8, smem + kRawOffset + stage * kRawBytes);
          trace(kTraceScoresIssued, ahead);
        }
        if (has_b1) {
          finish_output();  // O is rescaled to b1's maxima next
          other_output(load1);
        }
      } else {
        // S(b1) first, so that it runs under warpgroup 0's softmax of b0
        // (the trace had the tensor pipe idle there, bench/NOTES.md v61);
        // P·V(b0) joins it once b0 is taken, and one wait covers both.
        if (has_b1) {
          const int stage = int(load1 % kRawStages);
          mbarrier_wait(bars + 8 * (kRawFull + stage), (load1 / kRawStages) & 1);
          trace(kTraceFullWaited, load1);
          issue_fp8_scores(s, q8, smem + kRawOffset + stage * kRawBytes);
          trace(kTraceScoresIssued, load1);
        }
        other_output(load0);
        if (has_b1) {
          finish_output();  // S(b1) and P·V(b0)
          fence_registers(s);
          trace(kTraceScoresDone, load1);
          mbarrier_arrive(bars + 8 * (kRawEmpty + load1 % kRawStages));
          own_output(b1, load1);
        }
      }
    }
    // Unconditional: ptxas cannot tell that nothing is in flight when no
    // block was issued, and serializes every wgmma if acc may be read early.
    finish_output();
    kv_loads += e.num_blocks;

    // Row totals across the quad, then across the two warpgroups (both at
    // the same final maximum).
    const uint32_t sums = smem + kRowSumOffset + (pieces_done & 1) * 2 * kTileRows * 4;
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      rows.sum[h] += __shfl_xor_sync(0xffffffffu, rows.sum[h], 1);
      rows.sum[h] += __shfl_xor_sync(0xffffffffu, rows.sum[h], 2);
    }
    if ((lane & 3) == 0) {
      store_shared_f32(sums + 4 * (m * kTileRows + r0), rows.sum[0]);
      store_shared_f32(sums + 4 * (m * kTileRows + r0 + 8), rows.sum[1]);
    }
    named_barrier_sync(kRowSumBarrier, kMathThreads);
    trace(kTracePieceEnd, kv_loads);
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      const int r = r0 + 8 * h;
      // Every lane runs the stores' shuffles; a row past the tile's end
      // (the same for both lanes of a pair) only stores nothing.
      const bool row_valid = r < unit.row_count;
      const float total =
          rows.sum[h] + __uint_as_float(load_shared_u32(sums + 4 * ((1 - m) * kTileRows + r)));
      // out_scale: fp8_e4m3's per-tensor scale, left out of V; P's 2^8 is in
      // both acc and total.
      const float inverse = total > 0.f ? p.out_scale / total : 0.f;
      const float lse = total > 0.f
                            ? (rows.max[h] - kFp8ComputePShift + log2f(total)) * 0.69314718056f
                            : -INFINITY;
      const int index = unit.row_begin + min(r, unit.row_count - 1);
      const int64_t token = unit.q_start + index / p.num_heads;
      const int head = index % p.num_heads;
      uint16_t* const out_row = p.out + token * p.out_token_stride + head * p.out_head_stride;
      float* const partial_row =
          p.partial_out + (int64_t(piece.slot) * p.slot_rows + r) * kLatentDim;
#pragma unroll
      for (int q = 0; q < 4; ++q) {
        // Columns 64q + 8n + 2c + x hold latent values own + 8x + n: 16
        // consecutive values (fp8_compute_latent), then the pair partner's.
        const int own = fp8_compute_latent(m, 64 * q + 2 * (lane & 3));
        const int partner = fp8_compute_latent(m, 64 * q + 2 * ((lane & 3) ^ 1));
        float v[2][8];
#pragma unroll
        for (int x = 0; x < 2; ++x) {
#pragma unroll
          for (int n = 0; n < 8; ++n) v[x][n] = acc[4 * (8 * q + n) + 2 * h + x] * inverse;
        }
        if (piece.slot < 0) {
          const uint4 run[2] = {
              make_uint4(pack_bf16x2(v[0][0], v[0][1]), pack_bf16x2(v[0][2], v[0][3]),
                         pack_bf16x2(v[0][4], v[0][5]), pack_bf16x2(v[0][6], v[0][7])),
              make_uint4(pack_bf16x2(v[1][0], v[1][1]), pack_bf16x2(v[1][2], v[1][3]),
                         pack_bf16x2(v[1][4], v[1][5]), pack_bf16x2(v[1][6], v[1][7]))};
          const uint4 received = shuffle_pair(odd ? run[0] : run[1]);
          if (row_valid) {
            store_global_v4(out_row + (odd ? partner + 8 : own), odd ? received : run[0]);
            store_global_v4(out_row + (odd ? own + 8 : partner), odd ? run[1] : received);
          }
        } else {
          const uint4 quarter[4] = {as_uint4(v[0][0], v[0][1], v[0][2], v[0][3]),
                                    as_uint4(v[0][4], v[0][5], v[0][6], v[0][7]),
                                    as_uint4(v[1][0], v[1][1], v[1][2], v[1][3]),
                                    as_uint4(v[1][4], v[1][5], v[1][6], v[1][7])};
          const uint4 low = shuffle_pair(odd ? quarter[0] : quarter[1]);
          const uint4 high = shuffle_pair(odd ? quarter[2] : quarter[3]);
          if (row_valid) {
            store_global_v4(partial_row + (odd ? partner + 4 : own), odd ? low : quarter[0]);
            store_global_v4(partial_row + (odd ? own + 4 : partner), odd ? quarter[1] : low);
            store_global_v4(partial_row + (odd ? partner + 12 : own + 8), odd ? high : quarter[2]);
            store_global_v4(partial_row + (odd ? own + 12 : partner + 8), odd ? quarter[3] : high);
          }
        }
      }
      if (row_valid && m == 0 && (lane & 3) == 0) {
        if (piece.slot < 0) {
          p.lse[token * p.lse_token_stride + head * p.lse_head_stride] = lse;
        } else {
          p.partial_lse[int64_t(piece.slot) * p.slot_rows + r] = lse;
        }
      }
    }
  }
}

}  // namespace mladec::detail
