#pragma once
// The register-A path's operands (decode_math_register_a.cuh): a staged
// block of e4m3 bytes (src/core/register_a_layout.h: slab-major, chunks
// swizzled within each token's 64 bytes) becomes f16 wgmma A operands in the
// math warps' registers — no bf16 tile, no conversion pass through shared
// memory. Every read is one 16-byte chunk, conflict-free
// (tests/register_a_layout_test.cpp):
//   Sᵀ = K·Qᵀ   a thread's chunk of a slab of its token rows g, g + 8 holds
//               its columns of the slab's four k-steps (one word each); Q,
//               wgmma's B, is stored with its dimensions permuted to match.
//   Oᵀ = Vᵀ·Pᵀ  a thread reads one chunk (16 latent dimensions: its rows of
//               the eight accumulator tiles) of each of its four tokens of a
//               k-step; byte permutes pair a dimension's two tokens. At 32
//               rows the eight tiles go in two passes of four, each reading
//               half a chunk per token.
// Every e4m3 value is an f16 value, so K and V are exact; Q is rescaled per
// row by a power of two into f16's range (convert_q_to_f16) and the scores
// scaled back; Pᵀ is stored in f16.
#include <cstdint>

#include "mladec/constants.h"
#include "src/core/register_a_layout.h"
#include "src/cuda/async_copy.cuh"
#include "src/cuda/decode_layout.cuh"
#include "src/cuda/hopper.cuh"
#include "src/cuda/q_tile_f16.cuh"

namespace mladec::detail {

// Both math warpgroups: the Q tile's kRows rows (bf16, in place) to f16, each
// row scaled by 2^shift so its largest magnitude lands in [2^14, 2^15)
// (2^-shift to kTransposedQScaleOffset[phase & 1][row]), its words permuted
// within each slab as the scores' A fragments need (q_source_word). bf16's
// 8 significant bits fit f16's 11, so only values below 2^-28 of their
// row's largest lose bits (f16 subnormals). A row's 16 threads (8 at 32
// rows) are lanes of one warp: each reads all its source words before any
// of them writes. Ends
// when both warpgroups have converted (kQConverted, phase `phase`): the f16
// rows visible to wgmma.
// kSlabs: the slabs converted, from the first — all 9 for e4m3; blockwise
// converts the 8 latent slabs and leaves the RoPE slab in bf16 (its scores
// are a bf16 wgmma: issue_rope_scores), the row's scale taken over the
// latent values only.
template <int kRows, int kSlabs = decode_layout::kRowChunks / 8>
__device__ __forceinline__ void convert_q_to_f16(uint32_t smem, uint8_t* smem_bytes, int m,
                                                 uint32_t phase) {
  using namespace decode_layout;
  constexpr int kThreadsPerRow = kMathThreads / kRows;
  // A row's threads: chunk p of every slab (8 threads) or of every other
  // slab (16 threads).
  constexpr int kSlabStep = kThreadsPerRow / 8;
  constexpr int kUnits = (kSlabs + kSlabStep - 1) / kSlabStep;  // slabs per thread, at most
  static_assert(kThreadsPerRow == 8 || kThreadsPerRow == 16, "16 or 32 rows");
  // `phase` (the tile count, far below 2^31) makes the row's offsets
  // loop-variant, so that ptxas computes them here per tile rather than
  // holding them across the piece loop (they spilled there at 32 rows).
  const int thread = m * kWarpgroupThreads + threadIdx.x % kWarpgroupThreads + int(phase >> 31);
  const int row = thread / kThreadsPerRow, part = thread % kThreadsPerRow;
  // Destination chunk p of a slab holds words 4p + c, c = 0..3, taken from
  // the slab's words 8c + p: read j (at source + 32 j) is word c = j ^
  // rotation (q_source_base). One address and a rotation are all a thread
  // keeps: four offsets held across the piece loop spilled at 32 rows.
  const int p = part % 8, first_slab = part / 8;
  const int rotation = q_source_rotation(row);
  const uint32_t q_tile = smem + kQOffset + first_slab * kSlabBytes;
  const uint32_t source = q_tile + q_source_base(row, p);
  uint32_t words[kUnits][4];
  float largest = 0.f;
#pragma unroll
  for (int i = 0; i < kUnits; ++i) {
    if (first_slab + kSlabStep * i >= kSlabs) break;
    uint32_t read[4];
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      read[j] = load_shared_u32(source + kSlabStep * i * kSlabBytes + 32 * j);
      largest = fmaxf(largest, bf16x2_largest(read[j]));
    }
    // words[i][c] = read[c ^ rotation], by selects (a run-time index would
    // put the array in local memory): rotation bit 0 swaps neighbours, bit
    // 1 swaps pairs.
    uint32_t swapped[4];
#pragma unroll
    for (int c = 0; c < 4; ++c) swapped[c] = (rotation & 1) ? read[c ^ 1] : read[c];
#pragma unroll
    for (int c = 0; c < 4; ++c) words[i][c] = (rotation & 2) ? swapped[c ^ 2] : swapped[c];
  }
#pragma unroll
  for (int mask = 1; mask < kThreadsPerRow; mask <<= 1) {
    largest = fmaxf(largest, __shfl_xor_sync(0xffffffffu, largest, mask));
  }
  const F16RowScale scale = f16_row_scale(largest);
  __syncwarp();  // every source word of the row is read
#pragma unroll
  for (int i = 0; i < kUnits; ++i) {
    if (first_slab + kSlabStep * i >= kSlabs) break;
    uint32_t f16[4];
#pragma unroll
    for (int c = 0; c < 4; ++c) f16[c] = scaled_bf16x2_to_f16x2(words[i][c], scale.factor);
    store_shared_v4(q_tile + kSlabStep * i * kSlabBytes + slab_offset(row, p),
                    make_uint4(f16[0], f16[1], f16[2], f16[3]));
  }
  if (part == 0) {
    float* const inverse_scales = reinterpret_cast<float*>(smem_bytes + kTransposedQScaleOffset);
    inverse_scales[(phase & 1) * kTransposedRowLimit + row] = scale.inverse;
  }
  finish_q_conversion(smem, phase);
}

// The four A registers of a k-step from word `low` (row g) and `high`
// (row g + 8) of the thread's chunks: columns 2c, 2c + 1 from the low
// halves, 2c + 8, 2c + 9 from the high halves.
__device__ __forceinline__ void score_fragment(uint32_t (&a)[4], uint32_t low, uint32_t high) {
  e4m3x4_to_f16x2x2(low, a[0], a[2]);
  e4m3x4_to_f16x2x2(high, a[1], a[3]);
}

// Sᵀ = K·Qᵀ over the e4m3 k-steps of the staged block at `stage`, issued
// and completed, a slab (four k-steps) at a time: its chunks loaded while
// the previous slab converts, its fragments converted while the previous
// slab's wgmmas run (two fragment sets alternating). `q` describes the f16
// Q tile. kGroups 1 (e4m3): all 36 k-steps into s[0]; kGroups 4 (blockwise):
// the 8 latent slabs, group g's two into s[g] (each group has its own scale
// per token: blockwise_scores combines them). with_last_slab() runs as the
// last slab's wgmmas are issued, before their commit: blockwise issues its
// RoPE part there (issue_rope_scores), in the same group, rather than
// waiting for a group of its own after the latent part (v44).
template <int kRows, int kGroups = 1, typename WithLastSlab>
__device__ __forceinline__ void scores_register_a(float (&s)[kGroups][kRows / 2], uint32_t stage,
                                                  const SlabDescriptors& q, int warp, int lane,
                                                  WithLastSlab with_last_slab) {
  using namespace decode_layout;
  static_assert(kGroups == 1 || kGroups == kBlockwiseScales, "e4m3 or blockwise");
  constexpr int kSlabs = kGroups == 1 ? kRowChunks / 8 : kLatentDim / 64;
  constexpr int kGroupSteps = 4 * kSlabs / kGroups;
  const int token = warp * 16 + lane / 4;
  // Rows g and g + 8 share the swizzle (tokens eight apart).
  const uint32_t row = stage + token * kRegisterAStageTokenBytes;  // in slab 0
  const int c = lane % 4;
  const auto load = [&](int slab, uint4& low, uint4& high) {
    const uint32_t chunk = slab * kRegisterAStageSlabBytes + 16u * uint32_t(staged_chunk(token, c));
    low = load_shared_v4(row + chunk);
    high = load_shared_v4(row + 8 * kRegisterAStageTokenBytes + chunk);
  };
  // The next slab's chunks load while this one converts (at 32 rows too:
  // v41's single fragment set left the registers for them).
  uint4 low, high, next_low, next_high;
  load(0, next_low, next_high);
  // Fragment sets: at 16 rows two alternate (a slab converts while the
  // previous one's wgmmas run); at 32 rows one, whose 16 registers the
  // accumulators need.
  constexpr int kSets = kRows == 16 ? 2 : 1;
  uint32_t a[kSets][4][4];
#pragma unroll
  for (int slab = 0; slab < kSlabs; ++slab) {
    low = next_low;
    high = next_high;
    if (slab + 1 < kSlabs) load(slab + 1, next_low, next_high);
    uint32_t(&fragments)[4][4] = a[slab % kSets];
    // The set's previous wgmmas (kSets slabs back) are complete.
    if (slab >= kSets) wgmma_wait<kSets - 1>();
    score_fragment(fragments[0], low.x, high.x);
    score_fragment(fragments[1], low.y, high.y);
    score_fragment(fragments[2], low.z, high.z);
    score_fragment(fragments[3], low.w, high.w);
    wgmma_fence();
#pragma unroll
    for (int k = 0; k < 4; ++k) {
      const int step = 4 * slab + k;
      wgmma_m64nk16_rs<kRows>(s[step / kGroupSteps], fragments[k], q.at(k_step_offset(step)),
                              step % kGroupSteps > 0);
    }
    if (slab + 1 == kSlabs) with_last_slab();
    wgmma_commit();
  }
  wgmma_wait<0>();
}

// Blockwise: Sᵀ's RoPE part (64 bf16 values per token, not all of them f16
// values) as bf16 wgmmas, A from the staged RoPE bytes as they are
// (rope_fragment_chunk: the fragment in the values' own order), B = the Q
// tile's RoPE slab (slab 8), left in bf16 by convert_q_to_f16. Issued only:
// scores_register_a runs it with its last latent slab (with_last_slab), in
// the same commit group, while the tensor cores work through that slab.
template <int kRows>
__device__ __forceinline__ void issue_rope_scores(float (&s)[kRows / 2], uint32_t stage,
                                                  const SlabDescriptors& q, int warp, int lane) {
  using namespace decode_layout;
  const int g = lane / 4, c = lane % 4;
  uint32_t a[kRopeDim / 16][4];
#pragma unroll
  for (int kk = 0; kk < kRopeDim / 16; ++kk) {
#pragma unroll
    for (int r = 0; r < 4; ++r) {
      const int token = 16 * warp + g + rope_fragment_row_offset(r);
      a[kk][r] = load_shared_u32(stage + blockwise_rope_offset(token, rope_fragment_chunk(kk, r)) +
                                 4 * c);
    }
  }
  wgmma_fence();
#pragma unroll
  for (int kk = 0; kk < kRopeDim / 16; ++kk) {
    wgmma_m64nk16_rs<kRows, true>(s, a[kk], q.at(k_step_offset(kLatentDim / 16 + kk)), kk > 0);
  }
}

// Blockwise: the four scales of the thread's token rows h = 0, 1
// (fragment_row, + 8) of the staged block, one 16-byte read each.
__device__ __forceinline__ void load_token_scales(float (&scales)[2][kBlockwiseScales],
                                                  uint32_t stage, int fragment_row) {
#pragma unroll
  for (int h = 0; h < 2; ++h) {
    const uint4 v =
        load_shared_v4(stage + kBlockwiseStageScales + kBlockwiseScaleBytes * (fragment_row + 8 * h));
    scales[h][0] = __uint_as_float(v.x);
    scales[h][1] = __uint_as_float(v.y);
    scales[h][2] = __uint_as_float(v.z);
    scales[h][3] = __uint_as_float(v.w);
  }
}

// Blockwise: a block's Sᵀ from its parts, element k (token row h = (k >> 1)
// & 1, thread row 2 (k / 4) + (k & 1)): inverse_q_scale(thread row) ·
// Σ_g scale_g(token) · groups[g] + rope — the latent part undoes Q's f16
// row scale, the RoPE part (bf16) never had one.
template <int kFragment, typename InverseQScale>
__device__ __forceinline__ void blockwise_scores(float (&s)[kFragment],
                                                 const float (&groups)[kBlockwiseScales][kFragment],
                                                 const float (&rope)[kFragment],
                                                 const float (&token_scales)[2][kBlockwiseScales],
                                                 InverseQScale inverse_q_scale) {
#pragma unroll
  for (int k = 0; k < kFragment; ++k) {
    const int h = (k >> 1) & 1;
    float latent = 0.f;
#pragma unroll
    for (int g = 0; g < kBlockwiseScales; ++g) latent = fmaf(token_scales[h][g], groups[g][k], latent);
    s[k] = fmaf(inverse_q_scale(2 * (k / 4) + (k & 1)), latent, rope[k]);
  }
}

// Oᵀ += Vᵀ·Pᵀ for the staged block, issued (not committed to a wait), into
// all eight latent tiles (acc[t]: latent tile t of 64 values).
// 16 rows: one pass, a thread reads one chunk of each token (output_*);
// 32 rows: two passes, pass h over tiles 4h..4h + 3 (latent values
// [256 h, + 256)) reading half a chunk per token (split_output_* with
// m = h) — so one pass's fragments (four tiles, in one set; 16 rows
// alternate two) are what the registers hold next to the 128 accumulator
// floats. Per k-step kk the thread's four tokens (output_token: columns 2c,
// 2c + 1, 2c + 8, 2c + 9);
// for tile t, word t / 2 of two tokens' bytes, byte-permuted, gives rows g
// and g + 8 of their two columns. The next k-step's bytes are loaded once
// this one's are converted, while its wgmmas issue.
template <int kRows>
__device__ __forceinline__ void issue_output_register_a(float (&acc)[8][kRows / 2],
                                                        uint32_t stage, const SlabDescriptors& pt,
                                                        int warp, int lane) {
  using namespace decode_layout;
  constexpr int kPasses = kRows == 16 ? 1 : 2;
  constexpr int kTiles = 8 / kPasses;  // per pass
  constexpr int kWords = kTiles / 2;   // per token: two bytes per tile
  constexpr int kSteps = kBlockTokens / 16;
  const int g = lane / 4, c = lane % 4;
  const auto chunk = [&](int h) {
    return kRows == 16 ? 4 * output_slab(warp, g) + output_chunk(g)
                       : 4 * split_output_slab(h, warp) + split_output_chunk(g);
  };
  const int part = kRows == 16 ? 0 : 8 * split_output_half(g);
  const auto load = [&](int h, int kk, uint32_t (&x)[4][kWords]) {
#pragma unroll
    for (int e = 0; e < 4; ++e) {
      const int token = output_token(kk, 2 * c + e % 2 + 8 * (e / 2));
      const uint32_t address = stage + staged_offset(token, chunk(h)) + part;
      if constexpr (kWords == 4) {
        const uint4 v = load_shared_v4(address);
        x[e][0] = v.x, x[e][1] = v.y, x[e][2] = v.z, x[e][3] = v.w;
      } else {
        const uint2 v = load_shared_v2(address);
        x[e][0] = v.x, x[e][1] = v.y;
      }
    }
  };
  uint32_t x[4][kWords];
  load(0, 0, x);
  constexpr int kSets = kRows == 16 ? 2 : 1;  // as in scores_register_a
  uint32_t a[kSets][kTiles][4];
#pragma unroll
  for (int step = 0; step < kPasses * kSteps; ++step) {
    const int h = step / kSteps, kk = step % kSteps;
    uint32_t(&fragments)[kTiles][4] = a[step % kSets];
    if (step >= kSets) wgmma_wait<kSets - 1>();
#pragma unroll
    for (int t = 0; t < kTiles; ++t) {
      const uint32_t pick = output_pick(t);
      const uint32_t first = byte_permute(x[0][t / 2], x[1][t / 2], pick);
      const uint32_t second = byte_permute(x[2][t / 2], x[3][t / 2], pick);
      e4m3x4_to_f16x2x2(first, fragments[t][0], fragments[t][1]);
      e4m3x4_to_f16x2x2(second, fragments[t][2], fragments[t][3]);
    }
    if (step + 1 < kPasses * kSteps) load((step + 1) / kSteps, (step + 1) % kSteps, x);
    wgmma_fence();
#pragma unroll
    for (int t = 0; t < kTiles; ++t) {
      wgmma_m64nk16_rs<kRows>(acc[h * kTiles + t], fragments[t], pt.at(kk * 32), true);
    }
    wgmma_commit();
  }
}

// Blockwise, 16 rows: Oᵀ += Vᵀ·Pᵀ_G for the staged block into the eight
// group-pure tiles (tile 2G + u reads group G's Pᵀ at p_tiles + G ·
// tile_stride; blockwise_output_*), issued (not committed to a wait). Per
// k-step a thread reads one word per token and group for its four tokens
// (output_token, as the e4m3 form) — the next k-step's while this one's
// wgmmas issue — and tile t takes bytes 2u, 2u + 1 of group t / 2's words
// (output_pick), as the e4m3 form takes word t / 2 of its chunk.
__device__ __forceinline__ void issue_output_blockwise_register_a(float (&acc)[8][8],
                                                                  uint32_t stage, uint32_t p_tiles,
                                                                  uint32_t tile_stride, int warp,
                                                                  int lane) {
  using namespace decode_layout;
  constexpr int kSteps = kBlockTokens / 16;
  const int g = lane / 4, c = lane % 4;
  // Four addresses; k-steps and groups are immediates (blockwise_output_offset).
  uint32_t token_words[4];
#pragma unroll
  for (int e = 0; e < 4; ++e) {
    token_words[e] = stage + blockwise_output_offset(warp, g, 2 * c + e % 2 + 8 * (e / 2));
  }
  const auto load = [&](int kk, uint32_t (&x)[4][kBlockwiseScales]) {
#pragma unroll
    for (int e = 0; e < 4; ++e) {
#pragma unroll
      for (int group = 0; group < kBlockwiseScales; ++group) {
        x[e][group] = load_shared_u32(token_words[e] + kk * kBlockwiseOutputStepBytes +
                                      group * kBlockwiseOutputGroupBytes);
      }
    }
  };
  const SlabDescriptors pt[kBlockwiseScales] = {
      SlabDescriptors(p_tiles, 16), SlabDescriptors(p_tiles + tile_stride, 16),
      SlabDescriptors(p_tiles + 2 * tile_stride, 16), SlabDescriptors(p_tiles + 3 * tile_stride, 16)};
  uint32_t x[4][kBlockwiseScales];
  load(0, x);
  // One fragment set: the group scores and softmax state leave no room for
  // a second (as at 32 rows).
  uint32_t fragments[8][4];
#pragma unroll
  for (int kk = 0; kk < kSteps; ++kk) {
    if (kk >= 1) wgmma_wait<0>();
#pragma unroll
    for (int t = 0; t < 8; ++t) {
      const uint32_t pick = output_pick(t);
      const uint32_t first = byte_permute(x[0][t / 2], x[1][t / 2], pick);
      const uint32_t second = byte_permute(x[2][t / 2], x[3][t / 2], pick);
      e4m3x4_to_f16x2x2(first, fragments[t][0], fragments[t][1]);
      e4m3x4_to_f16x2x2(second, fragments[t][2], fragments[t][3]);
    }
    if (kk + 1 < kSteps) load(kk + 1, x);
    wgmma_fence();
#pragma unroll
    for (int t = 0; t < 8; ++t) {
      // k-step kk of the group's Pᵀ: 16 keys, 32 bytes of its rows.
      wgmma_m64nk16_rs<16>(acc[t], fragments[t], pt[t / 2].at(kk * 32), true);
    }
    wgmma_commit();
  }
}

}  // namespace mladec::detail
