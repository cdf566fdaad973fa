#pragma once
// Persistent split-KV MLA decode (bf16 q; bf16, fp8_e4m3 or fp8_blockwise
// KV), sm_90a.
//
// Three warpgroups per CTA, one CTA per SM, walking the worker's plan pieces:
//   WG0  producer: gathers Q tiles and 64-token KV blocks through the block
//        table (any page size) into 128-byte-swizzled bf16 slabs — bf16 KV
//        with 16-byte cp.async, fp8 KV through registers, dequantized
//        (fp8_kv_tiles.cuh) — and signals mbarriers, two KV buffers deep.
//   WG1, WG2  math: S = Q·Kᵀ with wgmma m64n32k16, WG m taking tokens
//        [32m, 32m+32) of the block; row maxima exchanged through shared
//        memory; online softmax in the exp2 domain; O += P·V with wgmma
//        m64n256k16, WG m owning output columns [256m, 256m+256), its own
//        half of P from registers and the other half from shared memory.
//        Tiles of at most 32 rows run transposed instead, without padding
//        rows (decode_math_transposed.cuh).
// Tokens outside a piece are zero-filled (never read); rows past a tile's
// row count are zero and fully masked.
#include <cstdint>

#include "mladec/constants.h"
#include "src/cuda/decode_layout.cuh"
#include "src/cuda/decode_math_transposed.cuh"
#include "src/cuda/decode_params.h"
#include "src/cuda/hopper.cuh"
#include "src/cuda/async_copy.cuh"
#include "src/cuda/fp8_kv_tiles.cuh"

namespace mladec::detail {

// Producer warp `warp` (0..3) copies rows [16 warp, +16) of a 64-row tile;
// lane i < 16 supplies row 16 warp + i's source, nullptr for a zero row.
__device__ __forceinline__ void produce_tile_rows(uint32_t tile, int warp, int lane,
                                                  const uint8_t* my_row_source,
                                                  const void* fallback) {
  using namespace decode_layout;
#pragma unroll 4
  for (int i = 0; i < 16; ++i) {
    const uint8_t* source = reinterpret_cast<const uint8_t*>(__shfl_sync(
        0xffffffffu, reinterpret_cast<unsigned long long>(my_row_source), i));
    const int row = warp * 16 + i;
    const bool valid = source != nullptr;
#pragma unroll
    for (int c = lane; c < kRowChunks; c += 32) {
      cp_async_16(tile + slab_offset(row, c), valid ? source + c * 16 : fallback,
                  valid);
    }
  }
}

// The producer's completion of its previous copy job: its cp.async group is
// done (only the newest group may still be in flight), made visible to
// wgmma, and announced on that job's barrier.
__device__ __forceinline__ void complete_job(uint32_t& pending_barrier, bool last) {
  if (pending_barrier == 0) return;
  if (last) cp_async_wait<0>(); else cp_async_wait<1>();
  fence_proxy_async();
  mbarrier_arrive(pending_barrier);
  pending_barrier = 0;
}

// Address of KV token j of a request (row `block_table` of the table).
__device__ __forceinline__ const uint8_t* kv_token_address(const DecodeParams& p,
                                                           const int32_t* block_table,
                                                           int j) {
  const int64_t page = block_table[j / p.page_size];
  return p.kv + page * p.kv_page_stride_bytes +
         int64_t(j % p.page_size) * p.kv_token_stride_bytes;
}

template <KvDtype kDtype, int kRows>
__device__ __forceinline__ void run_producer(const DecodeParams& p, uint32_t smem,
                                             int begin, int end) {
  using namespace decode_layout;
  const int warp = threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  const uint32_t bars = smem + kBarrierOffset;
  uint32_t pending = 0;
  uint32_t q_loads = 0, kv_loads = 0;
  for (int i = begin; i < end; ++i) {
    const PlanPiece piece = p.pieces[i];
    const PlanUnit unit = p.units[piece.unit];
    const PieceExtent e = piece_extent(p, piece, unit);
    if (e.num_blocks == 0) continue;

    // The math warps free Q only after the previous piece's last block,
    // whose copies must therefore be announced before waiting.
    complete_job(pending, true);
    mbarrier_wait(bars + 8 * kQEmpty, (q_loads & 1) ^ 1);
    {
      const int r = warp * 16 + (lane & 15);
      const uint8_t* source = nullptr;
      if (r < unit.row_count) {
        const int index = unit.row_begin + r;
        source = reinterpret_cast<const uint8_t*>(
            p.q + (unit.q_start + index / p.num_heads) * p.q_token_stride +
            (index % p.num_heads) * p.q_head_stride);
      }
      // The transposed form reads only the first kRows rows; the rest of
      // the Q slabs is its exchange space.
      if (warp * 16 < kRows) produce_tile_rows(smem + kQOffset, warp, lane, source, p.q);
      cp_async_commit();
      pending = bars + 8 * kQFull;
      ++q_loads;
    }

    const int32_t* block_table = p.block_table + unit.request * p.block_table_stride;
    for (int b = 0; b < e.num_blocks; ++b, ++kv_loads) {
      const int buffer = kv_loads & 1;
      const int j = (e.first_block + b) * kBlockTokens + warp * 16 + (lane & 15);
      if (kDtype != KvDtype::kBf16 && b + 1 < e.num_blocks && lane < 16) {
        // fp8 loads go through registers, few in flight: start the next
        // block's DRAM reads now so those loads find it in L2.
        const int next = j + kBlockTokens;
        if (next < e.load_end) {
          prefetch_l2(kv_token_address(p, block_table, next), kv_token_bytes(kDtype));
        }
      }
      const uint32_t empty = bars + 8 * (kEmpty + buffer);
      const uint32_t empty_parity = ((kv_loads >> 1) & 1) ^ 1;
      if (!mbarrier_ready(empty, empty_parity)) {
        // The math warps wait for block b - 1 before they free block b - 2's
        // buffer (they issue its S right behind P·V of block b - 2): announce
        // the pending block before blocking, or neither side moves.
        complete_job(pending, true);
        mbarrier_wait(empty, empty_parity);
      }
      const uint8_t* source = nullptr;
      if (j >= piece.kv_begin && j < e.load_end) source = kv_token_address(p, block_table, j);
      const uint32_t tile = smem + kKvOffset + buffer * kTileBytes;
      if (kDtype == KvDtype::kBf16) {
        produce_tile_rows(tile, warp, lane, source, p.kv);
        cp_async_commit();
        complete_job(pending, false);
        pending = bars + 8 * (kFull + buffer);
      } else {
        // The converted rows are already stored: announce this block (and a
        // pending Q) as soon as the RoPE copies of blockwise land.
        produce_fp8_tile_rows<kDtype == KvDtype::kFp8Blockwise>(tile, warp, lane, source, p.kv);
        cp_async_commit();
        complete_job(pending, true);
        pending = bars + 8 * (kFull + buffer);
        complete_job(pending, true);
      }
    }
  }
  complete_job(pending, true);
}

// Issues S = Q·Kᵀ for tokens [32m, 32m + 32) of the KV block at `block`
// into s (one wgmma group, not waited for).
template <int m>
__device__ __forceinline__ void issue_scores(float (&s)[16], uint32_t smem, uint32_t block) {
  using namespace decode_layout;
  wgmma_fence();
#pragma unroll
  for (int k = 0; k < kRowChunks / 2; ++k) {
    const uint32_t q_at = smem + kQOffset + (k / 4) * kSlabBytes + (k % 4) * 32;
    const uint32_t k_at = block + (k / 4) * kSlabBytes + m * 32 * 128 + (k % 4) * 32;
    wgmma_m64n32k16_ss<false>(s, make_smem_desc(q_at, 16, 1024), make_smem_desc(k_at, 16, 1024),
                       k > 0);
  }
  wgmma_commit();
}

// Math warpgroup m (0 or 1). A template parameter: with a run-time m the
// choice between register and shared-memory P would be a divergent branch
// around wgmma, and ptxas then serializes every wgmma of the kernel.
template <int m>
__device__ __forceinline__ void run_math(const DecodeParams& p, uint8_t* smem_bytes,
                                         uint32_t smem, int begin, int end) {
  using namespace decode_layout;
  const int warp = (threadIdx.x / 32) % 4;
  const int lane = threadIdx.x % 32;
  const int r0 = warp * 16 + lane / 4;   // rows r0 and r0 + 8 are this thread's
  const uint32_t bars = smem + kBarrierOffset;
  float* row_max_exchange = reinterpret_cast<float*>(smem_bytes + kRowMaxOffset);
  float* row_sum_exchange = reinterpret_cast<float*>(smem_bytes + kRowSumOffset);
  uint32_t q_loads = 0, kv_loads = 0, pieces_done = 0;

  for (int i = begin; i < end; ++i, ++pieces_done) {
    const PlanPiece piece = p.pieces[i];
    const PlanUnit unit = p.units[piece.unit];
    const PieceExtent e = piece_extent(p, piece, unit);
    int row_end[2];
    for (int h = 0; h < 2; ++h) {
      const int r = r0 + 8 * h;
      const int t = (unit.row_begin + r) / p.num_heads;
      const int visible = p.causal ? unit.kv_len - unit.q_len + t + 1 : unit.kv_len;
      row_end[h] = r < unit.row_count ? min(piece.kv_end, visible) : piece.kv_begin;
    }

    float row_max[2] = {-INFINITY, -INFINITY};
    float row_sum[2] = {0.f, 0.f};
    float acc[128];
#pragma unroll
    for (int k = 0; k < 128; ++k) acc[k] = 0.f;

    if (e.num_blocks > 0) {
      mbarrier_wait(bars + 8 * kQFull, q_loads & 1);
      fence_proxy_async();
    }
    // S of block b + 1 is issued right behind P·V of block b (the other KV
    // buffer, which the producer usually filled during block b), so the
    // tensor pipe does not drain between the two; s then carries it into
    // the next iteration.
    float scores[16];  // written only by wgmma: softmax works on a copy
    if (e.num_blocks > 0) {
      const int buffer = kv_loads & 1;
      mbarrier_wait(bars + 8 * (kFull + buffer), (kv_loads >> 1) & 1);
      fence_proxy_async();
      issue_scores<m>(scores, smem, smem + kKvOffset + buffer * kTileBytes);
    }
    for (int b = 0; b < e.num_blocks; ++b, ++kv_loads) {
      const int buffer = kv_loads & 1;
      const uint32_t block = smem + kKvOffset + buffer * kTileBytes;
      wgmma_wait<0>();
      fence_registers(scores);
      fence_registers(acc);  // P·V of block b - 1, waited for last iteration
      float s[16];
#pragma unroll
      for (int i = 0; i < 16; ++i) s[i] = scores[i];
      if (b + 1 == e.num_blocks) mbarrier_arrive(bars + 8 * kQEmpty);

      // Mask, scale into the exp2 domain, block row maxima.
      const int token0 = (e.first_block + b) * kBlockTokens + m * 32 + 2 * (lane & 3);
      float block_max[2] = {-INFINITY, -INFINITY};
#pragma unroll
      for (int n = 0; n < 4; ++n) {
#pragma unroll
        for (int x = 0; x < 4; ++x) {
          const int j = token0 + n * 8 + (x & 1);
          const int h = x >> 1;
          const bool visible = j >= piece.kv_begin && j < row_end[h];
          float& v = s[4 * n + x];
          v = visible ? v * p.scale_log2 : -INFINITY;
          block_max[h] = fmaxf(block_max[h], v);
        }
      }
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        block_max[h] = fmaxf(block_max[h], __shfl_xor_sync(0xffffffffu, block_max[h], 1));
        block_max[h] = fmaxf(block_max[h], __shfl_xor_sync(0xffffffffu, block_max[h], 2));
      }
      if ((lane & 3) == 0) {
        row_max_exchange[m * 64 + r0] = block_max[0];
        row_max_exchange[m * 64 + r0 + 8] = block_max[1];
      }
      named_barrier_sync(kRowMaxBarrier, kMathThreads);

      float scale[2];
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        const float other = row_max_exchange[(1 - m) * 64 + r0 + 8 * h];
        const float new_max = fmaxf(row_max[h], fmaxf(block_max[h], other));
        // No visible key yet: subtract 0 so every exp2 is 0, not NaN.
        const float base = new_max == -INFINITY ? 0.f : new_max;
        scale[h] = exp2f(row_max[h] - base);
        row_max[h] = new_max;
        row_sum[h] *= scale[h];
#pragma unroll
        for (int n = 0; n < 4; ++n) {
          s[4 * n + 2 * h] = exp2f(s[4 * n + 2 * h] - base);
          s[4 * n + 2 * h + 1] = exp2f(s[4 * n + 2 * h + 1] - base);
          row_sum[h] += s[4 * n + 2 * h] + s[4 * n + 2 * h + 1];
        }
      }
      // This warpgroup's P as wgmma A fragments (k-steps 2m, 2m + 1), and
      // in shared memory for the other warpgroup.
      uint32_t p_frag[2][4];
#pragma unroll
      for (int k = 0; k < 2; ++k) {
        p_frag[k][0] = pack_bf16x2(s[8 * k + 0], s[8 * k + 1]);
        p_frag[k][1] = pack_bf16x2(s[8 * k + 2], s[8 * k + 3]);
        p_frag[k][2] = pack_bf16x2(s[8 * k + 4], s[8 * k + 5]);
        p_frag[k][3] = pack_bf16x2(s[8 * k + 6], s[8 * k + 7]);
#pragma unroll
        for (int half = 0; half < 2; ++half) {  // tokens +0..7 and +8..15
          const int chunk = 4 * m + 2 * k + half;
          *reinterpret_cast<uint32_t*>(smem_bytes + kPOffset + slab_offset(r0, chunk) +
                                       4 * (lane & 3)) = p_frag[k][2 * half];
          *reinterpret_cast<uint32_t*>(smem_bytes + kPOffset + slab_offset(r0 + 8, chunk) +
                                       4 * (lane & 3)) = p_frag[k][2 * half + 1];
        }
      }
#pragma unroll
      for (int k = 0; k < 128; ++k) acc[k] *= scale[(k >> 1) & 1];
      fence_proxy_async();
      named_barrier_sync(kPBarrier, kMathThreads);

      // O += P·V for columns [256m, 256m + 256).
      wgmma_fence();
#pragma unroll
      for (int k = 0; k < kBlockTokens / 16; ++k) {
        const uint64_t v_desc = make_smem_desc(
            block + 4 * m * kSlabBytes + k * 16 * 128, kSlabBytes, 1024);
        if (k / 2 == m) {
          wgmma_m64n256k16_rs(acc, p_frag[k % 2], v_desc);
        } else {
          wgmma_m64n256k16_ss(acc, make_smem_desc(smem + kPOffset + k * 32, 16, 1024),
                              v_desc);
        }
      }
      wgmma_commit();
      if (b + 1 < e.num_blocks) {
        const int next = (kv_loads + 1) & 1;
        mbarrier_wait(bars + 8 * (kFull + next), ((kv_loads + 1) >> 1) & 1);
        fence_proxy_async();
        issue_scores<m>(scores, smem, smem + kKvOffset + next * kTileBytes);
        // P·V of block b is done (the next S may still run): nothing may
        // touch acc or s until the wait at the top of the next iteration.
        wgmma_wait<1>();
      } else {
        wgmma_wait<0>();
        fence_registers(acc);
      }
      mbarrier_arrive(bars + 8 * (kEmpty + buffer));
    }
    if (e.num_blocks > 0) ++q_loads;

    // Row totals across the quad, then across the two warpgroups.
    float* sums = row_sum_exchange + (pieces_done & 1) * 128;
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      row_sum[h] += __shfl_xor_sync(0xffffffffu, row_sum[h], 1);
      row_sum[h] += __shfl_xor_sync(0xffffffffu, row_sum[h], 2);
    }
    if ((lane & 3) == 0) {
      sums[m * 64 + r0] = row_sum[0];
      sums[m * 64 + r0 + 8] = row_sum[1];
    }
    named_barrier_sync(kRowSumBarrier, kMathThreads);
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      const int r = r0 + 8 * h;
      if (r >= unit.row_count) continue;
      const float total = row_sum[h] + sums[(1 - m) * 64 + r];
      // out_scale: fp8_e4m3's per-tensor scale, left out of the dequantized V.
      const float inverse = total > 0.f ? p.out_scale / total : 0.f;
      const float lse = total > 0.f ? (row_max[h] + log2f(total)) * 0.69314718056f
                                    : -INFINITY;
      const int index = unit.row_begin + r;
      const int64_t token = unit.q_start + index / p.num_heads;
      const int head = index % p.num_heads;
      const int col0 = m * 256 + 2 * (lane & 3);
      if (piece.slot < 0) {
        uint16_t* out = p.out + token * p.out_token_stride + head * p.out_head_stride;
#pragma unroll
        for (int n = 0; n < 32; ++n) {
          *reinterpret_cast<uint32_t*>(out + col0 + n * 8) =
              pack_bf16x2(acc[4 * n + 2 * h] * inverse, acc[4 * n + 2 * h + 1] * inverse);
        }
        if (m == 0 && (lane & 3) == 0) {
          p.lse[token * p.lse_token_stride + head * p.lse_head_stride] = lse;
        }
      } else {
        const int64_t slot_row = int64_t(piece.slot) * p.slot_rows + r;
        float* out = p.partial_out + slot_row * kLatentDim;
#pragma unroll
        for (int n = 0; n < 32; ++n) {
          *reinterpret_cast<float2*>(out + col0 + n * 8) = make_float2(
              acc[4 * n + 2 * h] * inverse, acc[4 * n + 2 * h + 1] * inverse);
        }
        if (m == 0 && (lane & 3) == 0) p.partial_lse[slot_row] = lse;
      }
    }
  }
}

// kRows: the tile rows the plan was made with (kernel_runs_tile_rows).
template <KvDtype kDtype, int kRows>
__device__ __forceinline__ void decode_wgmma(const DecodeParams& p, uint8_t* dynamic_smem) {
  using namespace decode_layout;
  if (p.check_status != nullptr && *p.check_status != 0) return;  // uniform
  uint8_t* smem_bytes = reinterpret_cast<uint8_t*>(
      (reinterpret_cast<uintptr_t>(dynamic_smem) + 1023) & ~uintptr_t(1023));
  const uint32_t smem = shared_address(smem_bytes);
  if (threadIdx.x == 0) {
    const uint32_t bars = smem + kBarrierOffset;
    mbarrier_init(bars + 8 * (kFull + 0), 128);
    mbarrier_init(bars + 8 * (kFull + 1), 128);
    mbarrier_init(bars + 8 * (kEmpty + 0), kMathThreads);
    mbarrier_init(bars + 8 * (kEmpty + 1), kMathThreads);
    mbarrier_init(bars + 8 * kQFull, 128);
    mbarrier_init(bars + 8 * kQEmpty, kMathThreads);
    fence_barrier_init();
  }
  __syncthreads();
  // The worker's pieces are read after setmaxnreg: values live across it
  // were spilled to local memory by ptxas in some instantiations.
  const int* worker_pieces = p.worker_piece_begin + blockIdx.x;
  using Registers = RegisterSplit<kDtype, kRows>;
  if (threadIdx.x < 128) {
    setmaxnreg_decrease<Registers::kProducer>();
    run_producer<kDtype, kRows>(p, smem, worker_pieces[0], worker_pieces[1]);
  } else if (threadIdx.x < 256) {
    setmaxnreg_increase<Registers::kMath>();
    if constexpr (kRows == kTileRows) {
      run_math<0>(p, smem_bytes, smem, worker_pieces[0], worker_pieces[1]);
    } else {
      run_math_transposed<kRows, 0>(p, smem_bytes, smem, worker_pieces[0], worker_pieces[1]);
    }
  } else {
    setmaxnreg_increase<Registers::kMath>();
    if constexpr (kRows == kTileRows) {
      run_math<1>(p, smem_bytes, smem, worker_pieces[0], worker_pieces[1]);
    } else {
      run_math_transposed<kRows, 1>(p, smem_bytes, smem, worker_pieces[0], worker_pieces[1]);
    }
  }
}

}  // namespace mladec::detail
