#pragma once
// The decode producer's KV path for the fp8 cache formats: tokens are
// copied as they are into the tile (cp.async), dequantized there to 16-bit
// values and stored into the same 128-byte swizzled slabs the bf16 path
// fills, so the math warpgroups run the same row form
// (decode_math_rows.cuh).
//
//   fp8_e4m3:      576 e4m3 values. Converted exactly to f16 (every e4m3
//                  value is an f16 value), one instruction per two values
//                  (to bf16 it took four: e4m3 → f16 → f32 → bf16); the
//                  math runs in f16 with Q scaled per row (q_tile_f16.cuh).
//                  The per-tensor scale is applied to the scores and the
//                  output instead, so it costs no rounding.
//   fp8_blockwise: 512 e4m3 latent values times their group's float32 scale
//                  (one rounding to bf16: scaled values need bf16's range),
//                  4 scales, then 64 bf16 RoPE values copied as they are
//                  with cp.async.
// Rows without a token (outside the piece) are written as zeros.
#include <cstdint>

#include "mladec/constants.h"
#include "mladec/problem.h"
#include "src/core/kv_token_codec.h"
#include "src/core/register_a_layout.h"
#include "src/cuda/async_copy.cuh"
#include "src/cuda/decode_layout.cuh"
#include "src/cuda/hopper.cuh"

namespace mladec::detail {

__device__ __forceinline__ void store_shared_16(uint32_t address, uint4 v) {
  asm volatile("st.shared.v4.u32 [%0], {%1, %2, %3, %4};\n" ::"r"(address),
               "r"(v.x), "r"(v.y), "r"(v.z), "r"(v.w)
               : "memory");
}

// Two f16 values (an f16x2 word, low half first) times `scale`, as two bf16
// values (one rounding).
__device__ __forceinline__ uint32_t scaled_f16x2_to_bf16x2(uint32_t halves, float scale) {
  float lo, hi;
  asm("cvt.f32.f16 %0, %1;\n" : "=f"(lo) : "h"(uint16_t(halves)));
  asm("cvt.f32.f16 %0, %1;\n" : "=f"(hi) : "h"(uint16_t(halves >> 16)));
  return pack_bf16x2(lo * scale, hi * scale);
}

// 16 e4m3 values → the 16-byte chunks at shared addresses `low` (the first
// 8) and `high`: with kScaled (blockwise) times `scale` in bf16, else
// exactly in f16 (`scale` unused). Both byte pairs of a word convert in
// place (the high one as SASS `.H1`), not after a shift.
template <bool kScaled>
__device__ __forceinline__ void store_e4m3x16_at(uint32_t low, uint32_t high, uint4 v,
                                                 float scale) {
  const uint32_t words[4] = {v.x, v.y, v.z, v.w};
  uint32_t out[8];
#pragma unroll
  for (int w = 0; w < 4; ++w) {
    uint32_t low, high;
    e4m3x4_to_f16x2x2(words[w], low, high);
    if constexpr (kScaled) {
      low = scaled_f16x2_to_bf16x2(low, scale);
      high = scaled_f16x2_to_bf16x2(high, scale);
    }
    out[2 * w] = low;
    out[2 * w + 1] = high;
  }
  store_shared_16(low, make_uint4(out[0], out[1], out[2], out[3]));
  store_shared_16(high, make_uint4(out[4], out[5], out[6], out[7]));
}

// The same into chunks `chunk`, `chunk + 1` of `row` of the tile.
template <bool kScaled>
__device__ __forceinline__ void store_e4m3x16(uint32_t tile, int row, int chunk, uint4 v,
                                              float scale) {
  store_e4m3x16_at<kScaled>(tile + slab_offset(row, chunk), tile + slab_offset(row, chunk + 1),
                            v, scale);
}

// Which 16 latent values of row r (of a warp's 16; chunk c = values
// [16 c, +16)) lane l converts: its slab's chunk pair rotated by the row,
// (l & 3) ^ ((r >> 1) & 3), in slab l / 4. The tile's 128-byte swizzle puts
// chunk c of row r at position c ^ (r & 7), so the pair's two output
// chunks land at positions 2 (l & 3) and 2 (l & 3) + 1 of every row, in
// an order that flips with r & 1: each store address is one lane base
// plus constants (the swizzle's XOR moves into 4 load offsets).
__device__ __forceinline__ int fp8_lane_chunk(int lane, int row) {
  return (lane & ~3) | ((lane & 3) ^ ((row >> 1) & 3));
}

// Where a row's fp8 bytes wait, as they are, inside the tile they are
// converted into (produce_fp8_tile_rows): lane l's latent chunk of `row`
// at position l % 8 of the row in odd slab 2 (l / 8) + 1, unswizzled (a
// quarter warp's 8 lanes read one 128-byte row: no conflict); e4m3's RoPE
// chunk c (0..3) at positions 4 + c of the row in slab 8; blockwise's 4
// scales at position 0 of the row in slab 0. A row's bytes wait in that
// row's own 128-byte lines, so only the row's own conversion overwrites
// them, after the warp has read them.
__device__ __forceinline__ uint32_t staged_fp8_latent_offset(int row, int lane) {
  return uint32_t((2 * (lane >> 3) + 1) * kSlabBytes + row * 128 + ((lane & 7) << 4));
}
__device__ __forceinline__ uint32_t staged_e4m3_rope_offset(int row, int chunk) {
  return uint32_t(8 * kSlabBytes + row * 128 + ((4 + chunk) << 4));
}
__device__ __forceinline__ uint32_t staged_blockwise_scales_offset(int row) {
  return uint32_t(row * 128);
}

// cp.async.wait_group with a count known only after unrolling.
__device__ __forceinline__ void cp_async_wait_unrolled(int pending) {
  switch (pending) {
    case 0: cp_async_wait<0>(); break;
    case 1: cp_async_wait<1>(); break;
    case 2: cp_async_wait<2>(); break;
    case 3: cp_async_wait<3>(); break;
    case 4: cp_async_wait<4>(); break;
    case 5: cp_async_wait<5>(); break;
    case 6: cp_async_wait<6>(); break;
    default: cp_async_wait<7>(); break;
  }
}

// Issues the copies of produce_fp8_tile_rows: `row_source(i)` is row i of
// the warp's 16 (nullptr: a zero row; kEveryRow: none is), one group per
// kBatch rows, the RoPE part with the last group. The copies of every row
// at constant offsets from one base are unrolled; with shuffled addresses,
// unrolled, ptxas hoisted the 32 shuffles and spilled.
template <bool kBlockwise, int kBatch, bool kEveryRow, typename RowSource>
__device__ __forceinline__ void stage_fp8_tile_rows(uint32_t tile, int first_row, int lane,
                                                    const RowSource& row_source,
                                                    const void* fallback) {
#pragma unroll(kEveryRow ? 16 / kBatch : 1)
  for (int first = 0; first < 16; first += kBatch) {
#pragma unroll
    for (int u = 0; u < kBatch; ++u) {
      const int r = first + u;
      const uint8_t* source = row_source(r);
      const bool valid = kEveryRow || source != nullptr;  // warp-uniform
      cp_async_16(tile + staged_fp8_latent_offset(first_row + r, lane),
                  valid ? source + 16 * fp8_lane_chunk(lane, r) : fallback, valid);
    }
    if (kBlockwise) {
      // Lane u < kBatch copies row first + u's scales.
      const uint8_t* source = row_source(first + lane % kBatch);
      const bool valid = kEveryRow || source != nullptr;
      if (lane < kBatch) {
        cp_async_16(tile + staged_blockwise_scales_offset(first_row + first + lane),
                    valid ? source + kBlockwiseScalesOffset : fallback, valid);
      }
    }
    if (first + kBatch == 16) {
      if (kBlockwise) {
        // 16 rows x 8 chunks of bf16, copied to their place as they are.
#pragma unroll
        for (int k = 0; k < 4; ++k) {
          const int c = lane + 32 * k;
          const uint8_t* source = row_source(c / 8);
          const bool valid = kEveryRow || source != nullptr;
          cp_async_16(tile + slab_offset(first_row + c / 8, 64 + c % 8),
                      valid ? source + kBlockwiseRopeOffset + 16 * (c % 8) : fallback, valid);
        }
      } else {
#pragma unroll
        for (int k = 0; k < 2; ++k) {
          const int c = lane + 32 * k;
          const uint8_t* source = row_source(c / 4);
          const bool valid = kEveryRow || source != nullptr;
          cp_async_16(tile + staged_e4m3_rope_offset(first_row + c / 4, c % 4),
                      valid ? source + kLatentDim + 16 * (c % 4) : fallback, valid);
        }
      }
    }
    cp_async_commit();
  }
}

// Producer warp `warp` (0..3) fills rows [16 warp, +16) of a 64-token KV tile
// from an fp8 cache; lane i < 16 holds row 16 warp + i's token address, or
// nullptr for a zero row. kBlockwise selects the format (see the top).
// Every byte the warp needs is first copied by cp.async into the tile
// itself (staged_fp8_latent_offset), one copy group per kBatch rows; each
// batch is converted as its group lands. Loaded into registers instead,
// the loads in flight were bounded by the producer's 88 registers (ptxas
// kept 2-3 rows' loads ahead of their conversion: bench/NOTES.md v72).
// Where the warp's 16 rows are consecutive tokens of one page (pages of a
// multiple of 16 tokens, inside a piece; a vote on the addresses decides),
// each row's address is the first one's plus a constant: no shuffles, no
// zero rows to test.
template <bool kBlockwise, int kBatch>
__device__ __forceinline__ void produce_fp8_tile_rows(uint32_t tile, int warp, int lane,
                                                      const uint8_t* my_row_source,
                                                      const void* fallback) {
  constexpr uintptr_t kTokenBytes =
      kv_token_bytes(kBlockwise ? KvDtype::kFp8Blockwise : KvDtype::kFp8E4m3);
  const int first_row = warp * 16;
  static_assert(16 % kBatch == 0 && 16 / kBatch <= 8, "groups cover the warp's 16 rows");
  const uintptr_t mine = reinterpret_cast<uintptr_t>(my_row_source);
  const uintptr_t first = reinterpret_cast<uintptr_t>(row_address_of_lane(my_row_source, 0));
  const bool in_stride = lane >= 16 || (first != 0 && mine == first + lane * kTokenBytes);
  if (__all_sync(0xffffffffu, in_stride)) {
    const uint8_t* base = reinterpret_cast<const uint8_t*>(first);
    stage_fp8_tile_rows<kBlockwise, kBatch, true>(
        tile, first_row, lane, [base](int i) { return base + i * kTokenBytes; }, fallback);
  } else {
    stage_fp8_tile_rows<kBlockwise, kBatch, false>(
        tile, first_row, lane,
        [my_row_source](int i) { return row_address_of_lane(my_row_source, i); }, fallback);
  }

  // Latent part: lane l converts chunk fp8_lane_chunk(l, r) of row r, in
  // scale group l / 8. The wait covers this lane's own copies; the first
  // __syncwarp makes the other lanes' (blockwise's scales) visible, the
  // second orders every lane's reads of a row before the stores that
  // overwrite its staged bytes.
  constexpr int kGroups = 16 / kBatch;
  const uint32_t pair_base =
      tile + (lane >> 2) * kSlabBytes + first_row * 128 + ((lane & 3) << 5);
#pragma unroll
  for (int g = 0; g < kGroups; ++g) {
    cp_async_wait_unrolled(kGroups - 1 - g);
    if (kBlockwise) __syncwarp();
    uint4 latent[kBatch];
    float scale[kBatch];
#pragma unroll
    for (int u = 0; u < kBatch; ++u) {
      const int row = first_row + g * kBatch + u;
      latent[u] = load_shared_v4(tile + staged_fp8_latent_offset(row, lane));
      scale[u] = kBlockwise ? __uint_as_float(load_shared_u32(
                                  tile + staged_blockwise_scales_offset(row) + 4 * (lane / 8)))
                            : 1.f;
    }
    __syncwarp();
#pragma unroll
    for (int u = 0; u < kBatch; ++u) {
      const int r = g * kBatch + u;
      const uint32_t row_base = pair_base + r * 128;
      store_e4m3x16_at<kBlockwise>(row_base + (r & 1) * 16, row_base + (~r & 1) * 16, latent[u],
                                   scale[u]);
    }
  }
  if (!kBlockwise) {
    uint4 rope[2];
#pragma unroll
    for (int k = 0; k < 2; ++k) {
      const int c = lane + 32 * k;
      rope[k] = load_shared_v4(tile + staged_e4m3_rope_offset(first_row + c / 4, c % 4));
    }
    __syncwarp();
#pragma unroll
    for (int k = 0; k < 2; ++k) {
      const int c = lane + 32 * k;
      store_e4m3x16<false>(tile, first_row + c / 4, 64 + 2 * (c % 4), rope[k], 1.f);
    }
  }
}

// The register-A e4m3 path (decode_layout.cuh: kRegisterAFp8) where TMA
// does not take the block: producer warp `warp` copies its 16 tokens' 576
// bytes as they are into the staged block at `stage` (staged_offset: the
// layout the TMA path's copies leave); lane i < 16 holds token 16 warp +
// i's address, nullptr for a row of zeros (cp.async's zero fill). Lanes 2i
// and 2i + 1 copy token i's even and odd 16-byte chunks: a fixed token per
// lane keeps the addresses to one shuffle and a stride (per-chunk token /
// chunk divisions spilled the producer's registers).
__device__ __forceinline__ void stage_e4m3_rows(uint32_t stage, int warp, int lane,
                                                const uint8_t* my_row_source,
                                                const void* fallback) {
  using namespace decode_layout;
  const int token = warp * 16 + lane / 2, parity = lane % 2;
  const uint8_t* source = row_address_of_lane(my_row_source, lane / 2);
  const bool valid = source != nullptr;
#pragma unroll
  for (int j = 0; j < kHeadDim / 32; ++j) {
    const int chunk = 2 * j + parity;
    cp_async_16(stage + staged_offset(token, chunk), valid ? source + 16 * chunk : fallback,
                valid);
  }
}

// The producer's copies of up to 16 blockwise tokens (rows [16 warp, +16)
// of a block, 656 bytes each) as they are into the staged block at `stage`
// (blockwise_staged_offset: latent slabs as e4m3's, scales, RoPE); lane
// i < 16 holds token 16 warp + i's address, nullptr for a row of zeros.
// Lanes 2i and 2i + 1 copy token i's even and odd chunks (21 and 20 of 41),
// as stage_e4m3_rows does.
__device__ __forceinline__ void stage_blockwise_rows(uint32_t stage, int warp, int lane,
                                                     const uint8_t* my_row_source,
                                                     const void* fallback) {
  const int token = warp * 16 + lane / 2, parity = lane % 2;
  const uint8_t* source = row_address_of_lane(my_row_source, lane / 2);
  const bool valid = source != nullptr;
#pragma unroll
  for (int j = 0; j < (kBlockwiseTokenChunks + 1) / 2; ++j) {
    const int chunk = 2 * j + parity;
    if (chunk < kBlockwiseTokenChunks) {
      cp_async_16(stage + blockwise_staged_offset(token, chunk),
                  valid ? source + 16 * chunk : fallback, valid);
    }
  }
}

}  // namespace mladec::detail
