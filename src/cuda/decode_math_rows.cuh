#pragma once
// The math warpgroups of the decode kernel for 64-row tiles, on a seesaw
// schedule: the blocks of a piece alternate between the two warpgroups.
// The owner of block b computes the whole S = Q·Kᵀ of the block (wgmma
// m64n64k16 × 36), its softmax and P; it publishes P (in the block's RoPE
// slab, which S no longer needs), the new row maxima and the rescale
// factor, and the other warpgroup picks them up. Each warpgroup keeps its
// half of the output columns (O[:, 256m, +256), wgmma m64n256k16) and
// multiplies every block into it: its own blocks' P from registers, the
// other's from shared memory.
//
// Operands are bf16, or f16 for e4m3 caches (kF16 in run_math_rows: the
// producer's conversion is then one instruction per two values).
//
// So one warpgroup's softmax runs while the other's wgmma run, where the
// previous form stopped both warpgroups at every block for two exchanges.
// The running maximum is a chain through the blocks (softmax of b needs the
// maximum after b − 1), which the seesaw follows. bf16 (kPairStep):
//
//   warpgroup 0, pair (b0, b1)          warpgroup 1
//   S(b0)                               S(b1)              (issued at once)
//   softmax(b0), publish b0       →     take b0's maxima,
//   O_L += P0·V0_L (P0 in registers)    O_R += P0·V0_R (P0 from smem) while
//                                       softmax(b1), publish b1; b0 freed
//   wait for b1                   ←     O_R += P1·V1_R (P1 in registers)
//   O_L += P1·V1_L (P1 from smem)
//
// Each buffer is refilled in halves and freed in parts, each warpgroup's
// P·V freeing its V slabs (decode_layout.cuh: kRowHalfB); each S reads its
// half A first.
//
// fp8 producers and pages of 8..32 tokens keep warpgroup 1's older order
// (bench/NOTES.md v52: the pair step at page 16 took 368 -> 403 us): take
// b0, O_R += P0·V0_R (P0 from smem), S(b1), softmax(b1), O_R += P1·V1_R.
#include <cstdint>

#include "mladec/constants.h"
#include "src/cuda/async_copy.cuh"
#include "src/cuda/block_trace.cuh"
#include "src/cuda/decode_layout.cuh"
#include "src/cuda/decode_params.h"
#include "src/cuda/hopper.cuh"
#include "src/cuda/q_tile_f16.cuh"
#include "src/cuda/row_gather.cuh"
#include "src/cuda/row_softmax.cuh"
#include "src/cuda/step_timeline.cuh"

namespace mladec::detail {

// Q's RoPE slab, its last (slab kPSlab), is where S ends: its last
// kRopeSteps k-steps (RegisterSplit) take Q from registers, as wgmma A
// fragments loaded once per piece, not from shared memory: 2 KB less
// shared-memory traffic per k-step, block and warpgroup (FlashMLA holds
// the whole slab in registers). 0: all of Q from shared memory.
using RopeFragments = uint32_t[kSlabKSteps][4];

// Loads the fragments of rows r0 and r0 + 8 for the slab's last kRopeSteps
// k-steps from the landed Q tile: k-step k's columns [16k, 16k + 16) of the
// slab are its chunks 2k and 2k + 1, laid out as block_softmax stores P.
template <int kRopeSteps>
__device__ __forceinline__ void load_rope_fragments(RopeFragments& q_rope, uint32_t smem, int r0,
                                                    int lane) {
  using namespace decode_layout;
  static_assert(kRopeSteps <= kSlabKSteps, "k-steps of the RoPE slab");
  const uint32_t tile = smem + kQOffset + 4 * (lane & 3);
  constexpr int kFirstChunk = kPSlab * 8 + 2 * (kSlabKSteps - kRopeSteps);
#pragma unroll
  for (int k = 0; k < kRopeSteps; ++k) {
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      const int chunk = kFirstChunk + 2 * k + half;
      q_rope[k][2 * half] = load_shared_u32(tile + slab_offset(r0, chunk));
      q_rope[k][2 * half + 1] = load_shared_u32(tile + slab_offset(r0 + 8, chunk));
    }
  }
}

// Issues S = Q·Kᵀ for the 64 tokens of the KV block at `block`, owned by
// warpgroup m (one wgmma group, not waited for): the k-steps of its half A
// (its own V slabs, decode_layout.cuh: kRowHalfB) first, then after
// `wait_half_b()` those of half B — the other V slabs, then the RoPE slab,
// whose last kRopeSteps k-steps take Q from q_rope; the others read Q from
// shared memory. kF16: Q and the tile in f16 (see run_math_rows).
template <int m, bool kF16, int kRopeSteps, typename WaitHalfB>
__device__ __forceinline__ void issue_block_scores(float (&s)[32], const RopeFragments& q_rope,
                                                   uint32_t smem, uint32_t block,
                                                   WaitHalfB&& wait_half_b) {
  using namespace decode_layout;
  constexpr int kSteps = kRowChunks / 2, kSharedSteps = kSteps - kRopeSteps;
  constexpr int kHalfSteps = kRowHalfSlabs * kSlabKSteps;
  const SlabDescriptors q(smem + kQOffset, 16), kv(block, 16);
  const auto step = [&](int k, bool accumulate) {
    wgmma_m64n64k16_ss<kF16>(s, q.at(k_step_offset(k)), kv.at(k_step_offset(k)), accumulate);
  };
  wgmma_fence();
#pragma unroll
  for (int k = 0; k < kHalfSteps; ++k) step(m * kHalfSteps + k, k > 0);
  wait_half_b();
#pragma unroll
  for (int k = 0; k < kHalfSteps; ++k) step((1 - m) * kHalfSteps + k, true);
#pragma unroll
  for (int k = 2 * kHalfSteps; k < kSharedSteps; ++k) step(k, true);
#pragma unroll
  for (int k = 0; k < kRopeSteps; ++k) {
    wgmma_m64n64k16_rs<kF16>(s, q_rope[k], kv.at(k_step_offset(kSharedSteps + k)));
  }
  wgmma_commit();
}

// O[:, 256m, +256) += P·V for the block at `block`, P from registers (the
// owner) or from the block's P slab (the other warpgroup). One wgmma group.
template <int m, bool kPInRegisters, bool kF16>
__device__ __forceinline__ void issue_block_output(float (&acc)[128],
                                                   const uint32_t (&p_frag)[4][4],
                                                   uint32_t block) {
  using namespace decode_layout;
  const SlabDescriptors v(block + 4 * m * kSlabBytes, kSlabBytes), p(block + kPSlab * kSlabBytes, 16);
  wgmma_fence();
#pragma unroll
  for (int k = 0; k < kBlockTokens / 16; ++k) {
    const uint64_t v_desc = v.at(k * 16 * 128);
    if constexpr (kPInRegisters) {
      wgmma_m64n256k16_rs<kF16>(acc, p_frag[k], v_desc);
    } else {
      wgmma_m64n256k16_ss<kF16>(acc, p.at(k * 32), v_desc);
    }
  }
  wgmma_commit();
}

// The owner's step for block b (S waited for): mask, new row maxima, P in
// registers (p_frag, wgmma A fragments) and in the block's P slab (bf16, or
// f16 with kF16), and the maxima and rescale factors in exchange slot m.
// score_scale[h]: what row r0 + 8h's scores are multiplied by (the softmax
// scale in the exp2 domain, times the row's inverse Q scale in f16).
template <int m, bool kF16>
__device__ __forceinline__ void block_softmax(float (&s)[32], uint32_t (&p_frag)[4][4],
                                              float (&scale)[2], RowState& rows,
                                              const float (&score_scale)[2], int token0,
                                              int kv_begin, const int (&row_end)[2],
                                              uint32_t smem, uint32_t block, int r0,
                                              int lane) {
  using namespace decode_layout;
  row_block_softmax(s, scale, rows, [&](int h) { return score_scale[h]; }, 0.f, token0, kv_begin,
                    row_end);
  const auto pack = [](float lo, float hi) {
    if constexpr (kF16) return pack_f16x2(lo, hi);
    else return pack_bf16x2(lo, hi);
  };
  // wgmma A fragments, k-step k = tokens [16k, 16k + 16): rows r0 / r0 + 8
  // of token groups 2k and 2k + 1; the same values into the P slab
  // (row-major, 128-byte swizzled, token group = 16-byte chunk).
  const uint32_t p_slab = block + kPSlab * kSlabBytes;
#pragma unroll
  for (int k = 0; k < 4; ++k) {
    p_frag[k][0] = pack(s[8 * k + 0], s[8 * k + 1]);
    p_frag[k][1] = pack(s[8 * k + 2], s[8 * k + 3]);
    p_frag[k][2] = pack(s[8 * k + 4], s[8 * k + 5]);
    p_frag[k][3] = pack(s[8 * k + 6], s[8 * k + 7]);
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      const int chunk = 2 * k + half;
      store_shared_u32(p_slab + slab_offset(r0, chunk) + 4 * (lane & 3), p_frag[k][2 * half]);
      store_shared_u32(p_slab + slab_offset(r0 + 8, chunk) + 4 * (lane & 3),
                       p_frag[k][2 * half + 1]);
    }
  }
  if ((lane & 3) == 0) {
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      const uint32_t row = 4 * (m * kTileRows + r0 + 8 * h);
      store_shared_f32(smem + kExchangeMaxOffset + row, rows.max[h]);
      store_shared_f32(smem + kExchangeScaleOffset + row, scale[h]);
    }
  }
  // P is read by the other warpgroup's wgmma (async proxy), the exchange by
  // its threads.
  fence_proxy_async();
  mbarrier_arrive(smem + kBarrierOffset + 8 * (kPublished + m));
}

// The other warpgroup's pickup of block b's publication (owner 1 − m):
// running maxima and the factor for this warpgroup's rows.
// `taken` counts the publications taken so far: the owner never publishes
// twice before the other warpgroup took the first (each warpgroup takes the
// other's block between two own ones, and the row-total barrier ends every
// piece), so its parity is the phase to wait for.
template <int m>
__device__ __forceinline__ void take_publication(float (&scale)[2], RowState& rows,
                                                 const uint8_t* smem_bytes, uint32_t smem,
                                                 uint32_t& taken, int r0) {
  using namespace decode_layout;
  mbarrier_wait(smem + kBarrierOffset + 8 * (kPublished + 1 - m), taken & 1);
  ++taken;
  const float* exchange_max =
      reinterpret_cast<const float*>(smem_bytes + kExchangeMaxOffset) + (1 - m) * kTileRows;
  const float* exchange_scale =
      reinterpret_cast<const float*>(smem_bytes + kExchangeScaleOffset) + (1 - m) * kTileRows;
#pragma unroll
  for (int h = 0; h < 2; ++h) {
    rows.max[h] = exchange_max[r0 + 8 * h];
    scale[h] = exchange_scale[r0 + 8 * h];
    rows.sum[h] *= scale[h];
  }
}

// Math warpgroup m (0 or 1) of the row form. A template parameter: with a
// run-time m the choice between register and shared-memory P would be a
// divergent branch around wgmma, and ptxas then serializes every wgmma.
// kPairStep: warpgroup 1's bf16 pair step (above). kEarlyRelease:
// warpgroup 0 frees its P·V's buffer before it waits for the other's
// publication (below). kF16: the operands are f16 — e4m3 caches, whose
// producer converts each value exactly to f16 with one instruction per two
// (bf16 takes four); both warpgroups convert each Q tile to f16 with a
// power-of-two scale per row (q_tile_f16.cuh) and P is stored in f16.
// kRopeSteps: Q's last k-steps held in registers (issue_block_scores).
// kOwnerGathers: each warpgroup copies half A of its own next block itself
// (row_gather.cuh: owner_gathers), bf16 caches without the TMA block path.
template <int m, bool kPairStep, bool kEarlyRelease, bool kF16, int kRopeSteps,
          bool kOwnerGathers = false>
__device__ __forceinline__ void run_math_rows(const DecodeParams& p, uint8_t* smem_bytes,
                                              uint32_t smem, int begin, int end) {
  using namespace decode_layout;
  const int warp = (threadIdx.x / 32) % 4;
  const int lane = threadIdx.x % 32;
  const int r0 = warp * 16 + lane / 4;  // rows r0 and r0 + 8 are this thread's
  const uint32_t bars = smem + kBarrierOffset;
  float* row_sum_exchange = reinterpret_cast<float*>(smem_bytes + kRowSumOffset);
  uint32_t q_loads = 0, kv_loads = 0, pieces_done = 0;
  uint32_t publications_taken = 0;  // of the other warpgroup's blocks

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
    RowState rows{{-INFINITY, -INFINITY}, {0.f, 0.f}};
    float score_scale[2] = {p.scale_log2, p.scale_log2};
    RopeFragments q_rope;

    trace(kTracePieceStart, kv_loads);
    if (e.num_blocks > 0) {
      mbarrier_wait(bars + 8 * kQFull, q_loads & 1);
      fence_proxy_async();
      if constexpr (kF16) {
        convert_row_q_to_f16(smem, m, q_loads);
#pragma unroll
        for (int h = 0; h < 2; ++h) {
          score_scale[h] *= __uint_as_float(load_shared_u32(smem + kRowQScaleOffset + 4 * (r0 + 8 * h)));
        }
      }
      // Warpgroup 1 owns no block of a one-block piece: it never reads Q.
      if (m == 1 && e.num_blocks == 1) {
        mbarrier_arrive(bars + 8 * kQEmpty);
      } else {
        load_rope_fragments<kRopeSteps>(q_rope, smem, r0, lane);
      }
    }
    // Zeroed after the Q conversion, which needs registers meanwhile.
    float acc[128];
#pragma unroll
    for (int k = 0; k < 128; ++k) acc[k] = 0.f;
    // The buffer of this warpgroup's last issued P·V, whose part (its V
    // slabs: decode_layout.cuh, row_part_empty) is freed once waited for.
    int pending_release = -1;
    const auto release_pending = [&] {
      if (pending_release >= 0) mbarrier_arrive(bars + 8 * row_part_empty(m, pending_release));
      pending_release = -1;
    };
    // Half `half` (0: A, 1: B) of block `load` has landed.
    const auto wait_full = [&](uint32_t load, int half) {
      mbarrier_wait(bars + 8 * (kFull + half * kRowHalfB + (load & 1)), (load >> 1) & 1);
      if (half == 0) trace(kTraceFullWaited, load);
      if (threadIdx.x == kWarpgroupThreads && load == 0) timeline(kTimelineFirstData);
      fence_proxy_async();
    };
    const auto block_at = [&](uint32_t load) { return smem + kKvOffset + (load & 1) * kTileBytes; };
    // Half A of own block b (load `load`), if this warpgroup copies it: just
    // after it freed half A of block b - 2, the same buffer's.
    const auto gather_own_half_a = [&](int b, uint32_t load) {
      if constexpr (kOwnerGathers) {
        if (owner_gathers(piece, e, b)) {
          owner_gather_half_a(p, p.block_table + unit.request * p.block_table_stride, e, b, m,
                              block_at(load), bars + 8 * (kFull + (load & 1)),
                              bars + 8 * row_part_empty(m, int(load & 1)), load);
        }
      }
    };
    const auto token0 = [&](int b) {
      return (e.first_block + b) * kBlockTokens + 2 * (lane & 3);
    };

    float s[32];
    uint32_t p_frag[4][4];
    float scale[2];
    // This warpgroup's last P·V done and its buffer freed.
    const auto finish_output = [&] {
      wgmma_wait<0>();
      fence_registers(acc);
      trace(kTraceOutputDone, uint32_t(pending_release));
      release_pending();
    };
    // S of an own block: its half A's k-steps as soon as that half lands.
    const auto issue_scores = [&](uint32_t load) {
      wait_full(load, 0);
      issue_block_scores<m, kF16, kRopeSteps>(s, q_rope, smem, block_at(load),
                                              [&] { wait_full(load, 1); });
      trace(kTraceScoresIssued, load);
    };
    const auto block_scores = [&](uint32_t load) {
      issue_scores(load);
      wgmma_wait<0>();
      fence_registers(s);
      trace(kTraceScoresDone, load);
    };
    // Softmax and publication of an own block (its S in s).
    const auto own_softmax = [&](int b, uint32_t load) {
      if (b + 2 >= e.num_blocks) mbarrier_arrive(bars + 8 * kQEmpty);  // last S here
      block_softmax<m, kF16>(s, p_frag, scale, rows, score_scale, token0(b), piece.kv_begin,
                             row_end, smem, block_at(load), r0, lane);
      trace(kTracePublished, load);
    };
    // P·V of an own block whose softmax is done (P in p_frag).
    const auto own_block_output = [&](uint32_t load) {
      rescale_output(acc, scale);
      issue_block_output<m, true, kF16>(acc, p_frag, block_at(load));
      trace(kTraceOutputIssued, load);
      pending_release = int(load & 1);
    };
    // Softmax and publication of an own block, then its P·V.
    const auto own_output = [&](int b, uint32_t load) {
      own_softmax(b, load);
      own_block_output(load);
    };
    // P·V of the other warpgroup's block (its publication taken). The owner
    // waited for the block; this wait (complete already, and the buffer
    // cannot refill before this warpgroup frees it) makes the landed copies
    // visible to this warpgroup's own reads in the tools' model too.
    const auto other_output = [&](uint32_t load) {
      wait_full(load, 1);
      rescale_output(acc, scale);
      issue_block_output<m, false, kF16>(acc, p_frag, block_at(load));
      trace(kTraceOutputIssued, load);
      pending_release = int(load & 1);
    };

    for (int b0 = 0; b0 < e.num_blocks; b0 += 2) {
      const int b1 = b0 + 1;
      const bool has_b1 = b1 < e.num_blocks;
      const uint32_t load0 = kv_loads + b0, load1 = kv_loads + b1;
      // Block b1 goes into the buffer of the last pair's b1, which this
      // warpgroup's previous P·V reads: finish and free it first. (Freeing
      // it behind S(b0) with wait_group 1 made ptxas serialize every wgmma.)
      finish_output();
      // Warpgroup 1's part of the last pair's b1 was its half A: b1 next.
      if constexpr (m == 1) gather_own_half_a(b1, load1);
      if constexpr (m == 0) {
        block_scores(load0);
        own_output(b0, load0);
        if (has_b1) {
          // kEarlyRelease: P·V(b0) waited for (and b0's buffer released)
          // before the wait for warpgroup 1's publication, not after it:
          // where warpgroup 1 multiplies b0 early (the older order: fp8
          // producers, pages of 8..32 tokens) this release was the buffer's
          // last, and the next block's copy or conversion now starts a
          // softmax earlier (bench/NOTES.md v51: e4m3 h_q 64 441 -> 422 us,
          // page 16 h_q 128 415 -> 378). Blockwise keeps the later
          // release: its cells of two tiles per request took 2-7% longer.
          if constexpr (kEarlyRelease) {
            finish_output();
            gather_own_half_a(b0 + 2, load0 + 2);  // b0's half A freed
          }
          take_publication<m>(scale, rows, smem_bytes, smem, publications_taken, r0);
          trace(kTraceTaken, load1);
          if constexpr (!kEarlyRelease) finish_output();
          other_output(load1);
        }
      } else if constexpr (!kPairStep || m == 0) {
        take_publication<m>(scale, rows, smem_bytes, smem, publications_taken, r0);
        trace(kTraceTaken, load0);
        other_output(load0);
        if (has_b1) {
          block_scores(load1);  // P·V(b0) completes before it
          finish_output();
          own_output(b1, load1);
        }
      } else if (!has_b1) {
        take_publication<m>(scale, rows, smem_bytes, smem, publications_taken, r0);
        other_output(load0);
      } else {
        // S(b1) runs while warpgroup 0 computes b0's softmax; P0·V0_R (P0
        // from b0's P slab, as the owner stored it) runs while this
        // warpgroup computes b1's softmax, and its part of b0's buffer is freed when it
        // is done, before P1·V1_R (bench/NOTES.md v52).
        issue_scores(load1);
        take_publication<m>(scale, rows, smem_bytes, smem, publications_taken, r0);
        trace(kTraceTaken, load0);
        wgmma_wait<0>();
        fence_registers(s);
        trace(kTraceScoresDone, load1);
        other_output(load0);     // O to b0's maxima, P0·V0_R
        own_softmax(b1, load1);  // scale: b0's maxima to b1's
        finish_output();         // this warpgroup's part of b0's buffer freed
        own_block_output(load1);
      }
    }
    // Unconditional: ptxas cannot tell that nothing is in flight when no
    // block was issued, and serializes every wgmma if acc may be read early.
    finish_output();
    kv_loads += e.num_blocks;
    if (e.num_blocks > 0) ++q_loads;

    // Row totals across the quad, then across the two warpgroups (both at
    // the same final maximum).
    float* sums = row_sum_exchange + (pieces_done & 1) * 2 * kTileRows;
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      rows.sum[h] += __shfl_xor_sync(0xffffffffu, rows.sum[h], 1);
      rows.sum[h] += __shfl_xor_sync(0xffffffffu, rows.sum[h], 2);
    }
    if ((lane & 3) == 0) {
      sums[m * kTileRows + r0] = rows.sum[0];
      sums[m * kTileRows + r0 + 8] = rows.sum[1];
    }
    named_barrier_sync(kRowSumBarrier, kMathThreads);
    trace(kTracePieceEnd, kv_loads);
    if (threadIdx.x == kWarpgroupThreads && pieces_done == 0) timeline(kTimelineFirstTotals);
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      const int r = r0 + 8 * h;
      if (r >= unit.row_count) continue;
      const float total = rows.sum[h] + sums[(1 - m) * kTileRows + r];
      // out_scale: fp8_e4m3's per-tensor scale, left out of the dequantized V.
      const float inverse = total > 0.f ? p.out_scale / total : 0.f;
      const float lse = total > 0.f ? (rows.max[h] + log2f(total)) * 0.69314718056f
                                    : -INFINITY;
      const int index = unit.row_begin + r;
      const int64_t token = unit.q_start + index / p.num_heads;
      const int head = index % p.num_heads;
      const int col0 = m * (kLatentDim / 2) + 2 * (lane & 3);
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
    if (threadIdx.x == kWarpgroupThreads && pieces_done == 0) timeline(kTimelineFirstPieceEnd);
  }
}

}  // namespace mladec::detail
