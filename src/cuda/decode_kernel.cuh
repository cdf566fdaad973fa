#pragma once
// Persistent split-KV MLA decode, bf16 q and bf16 KV, for sm_90a.
//
// One CTA per worker walks the plan's pieces. A piece is one tile of up to 64
// query rows (any head count: rows are (token, head) pairs of one request)
// against a KV token range. Per 64-token block:
//   S = Q·Kᵀ      8 warps: warp_m picks 16 rows, warp_n picks 32 of the tokens
//   softmax       online, exp2 domain; row maxima exchanged through shared
//   O += P·V      warp_m picks 16 rows, warp_n picks 256 of the 512 columns
// KV rows arrive by 16-byte cp.async through the block table (any page size),
// double-buffered; tokens outside the piece are zero-filled, never read.
#include <cstdint>

#include "mladec/constants.h"
#include "src/cuda/decode_params.h"
#include "src/cuda/warp_mma.cuh"

namespace mladec::detail {

namespace decode_layout {
constexpr int kThreads = 256;
constexpr int kTileRows = 64;
constexpr int kBlockTokens = 64;
constexpr int kRowChunks = kHeadDim * 2 / 16;        // 16-byte chunks per row
constexpr int kTileBytes = kTileRows * kRowChunks * 16;
constexpr int kPBytes = kTileRows * kBlockTokens * 2;
constexpr int kQOffset = 0;
constexpr int kKvOffset = kTileBytes;                // two buffers
constexpr int kPOffset = 3 * kTileBytes;
constexpr int kRowMaxOffset = kPOffset + kPBytes;    // float [2][64]
constexpr int kRowSumOffset = kRowMaxOffset + 2 * kTileRows * 4;
constexpr int kSharedBytes = kRowSumOffset + 2 * kTileRows * 4;
static_assert(kRowChunks % 8 == 0, "swizzle works on groups of 8 chunks");
}  // namespace decode_layout

// Byte offset of 16-byte chunk `chunk` of row `row` in a 576-wide tile. The
// XOR swizzle puts the 8 rows an ldmatrix reads on 8 different bank groups.
__device__ __forceinline__ uint32_t tile_offset(int row, int chunk) {
  return uint32_t(row * decode_layout::kRowChunks +
                  ((chunk & ~7) | ((chunk ^ row) & 7))) * 16u;
}
// The same for the 64-token-wide P tile (8 chunks per row).
__device__ __forceinline__ uint32_t p_offset(int row, int chunk) {
  return uint32_t(row * 8 + (chunk ^ (row & 7))) * 16u;
}

// Each warp copies 8 rows of a 64-row tile: lane i < 8 supplies row i's
// source (or nullptr for a zero row); all lanes then copy 512 contiguous
// bytes at a time. Zero rows pass `fallback` (any valid global address) as
// the source of a copy that reads nothing.
__device__ __forceinline__ void copy_tile_rows(uint32_t tile, int warp, int lane,
                                               const uint8_t* my_row_source,
                                               const void* fallback) {
  using namespace decode_layout;
#pragma unroll
  for (int i = 0; i < 8; ++i) {
    const uint8_t* source = reinterpret_cast<const uint8_t*>(__shfl_sync(
        0xffffffffu, reinterpret_cast<unsigned long long>(my_row_source), i));
    const int row = warp * 8 + i;
    const bool valid = source != nullptr;
#pragma unroll
    for (int c = lane; c < kRowChunks; c += 32) {
      cp_async_16(tile + tile_offset(row, c), valid ? source + c * 16 : fallback,
                  valid);
    }
  }
}

__device__ __forceinline__ float quad_max(float v) {
  v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, 1));
  return fmaxf(v, __shfl_xor_sync(0xffffffffu, v, 2));
}
__device__ __forceinline__ float quad_sum(float v) {
  v += __shfl_xor_sync(0xffffffffu, v, 1);
  return v + __shfl_xor_sync(0xffffffffu, v, 2);
}

__device__ __forceinline__ void decode_piece(const DecodeParams& p,
                                             const PlanPiece& piece,
                                             const PlanUnit& unit,
                                             uint8_t* smem) {
  using namespace decode_layout;
  const int warp = threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  const int warp_m = warp % 4;
  const int warp_n = warp / 4;
  const uint32_t s_q = shared_address(smem + kQOffset);
  const uint32_t s_kv = shared_address(smem + kKvOffset);
  const uint32_t s_p = shared_address(smem + kPOffset);
  float* row_max_exchange = reinterpret_cast<float*>(smem + kRowMaxOffset);
  float* row_sum_exchange = reinterpret_cast<float*>(smem + kRowSumOffset);

  const int rows = unit.row_count;
  const int heads = p.num_heads;
  // Rows r0 and r0 + 8 of the tile are this thread's in every MMA fragment.
  const int r0 = warp_m * 16 + lane / 4;
  int row_end[2];  // exclusive end of the keys each of those rows sees
  for (int i = 0; i < 2; ++i) {
    const int r = r0 + 8 * i;
    const int t = (unit.row_begin + r) / heads;
    const int visible = p.causal ? unit.kv_len - unit.q_len + t + 1 : unit.kv_len;
    row_end[i] = r < rows ? min(piece.kv_end, visible) : piece.kv_begin;
  }
  // The last row sees the most keys; nothing past it is loaded.
  const int last_t = (unit.row_begin + rows - 1) / heads;
  const int tile_end = p.causal ? min(piece.kv_end, unit.kv_len - unit.q_len + last_t + 1)
                                : piece.kv_end;
  const int load_end = max(tile_end, piece.kv_begin);
  const int first_block = piece.kv_begin / kBlockTokens;
  const int num_blocks = load_end > piece.kv_begin
      ? (load_end + kBlockTokens - 1) / kBlockTokens - first_block : 0;
  const bool warp_has_rows = warp_m * 16 < rows;

  cp_async_wait<0>();
  __syncthreads();  // the previous piece is done with shared memory
  // Q tile, unless no key is visible (then out = 0 and lse = -inf).
  // Row r is (token, head) = divmod(row_begin + r, heads).
  if (num_blocks > 0) {
    const int r = warp * 8 + (lane & 7);
    const uint8_t* source = nullptr;
    if (r < rows) {
      const int index = unit.row_begin + r;
      source = reinterpret_cast<const uint8_t*>(
          p.q + (unit.q_start + index / heads) * p.q_token_stride +
          (index % heads) * p.q_head_stride);
    }
    copy_tile_rows(s_q, warp, lane, source, p.q);
    cp_async_commit();
  }
  const int32_t* block_table = p.block_table + unit.request * p.block_table_stride;
  auto load_kv_block = [&](int block, int buffer) {
    const int j = block * kBlockTokens + warp * 8 + (lane & 7);
    const uint8_t* source = nullptr;
    if (j >= piece.kv_begin && j < load_end) {
      const int64_t page = block_table[j / p.page_size];
      source = p.kv + page * p.kv_page_stride_bytes +
               int64_t(j % p.page_size) * p.kv_token_stride_bytes;
    }
    copy_tile_rows(s_kv + buffer * kTileBytes, warp, lane, source, p.kv);
    cp_async_commit();
  };
  if (num_blocks > 0) load_kv_block(first_block, 0);

  float row_max[2] = {-INFINITY, -INFINITY};
  float row_sum[2] = {0.f, 0.f};  // this thread's share, same max as row_max
  float acc[32][4];
#pragma unroll
  for (int n = 0; n < 32; ++n) acc[n][0] = acc[n][1] = acc[n][2] = acc[n][3] = 0.f;

  for (int b = 0; b < num_blocks; ++b) {
    const int buffer = b & 1;
    const uint32_t s_block = s_kv + buffer * kTileBytes;
    if (b + 1 < num_blocks) {
      load_kv_block(first_block + b + 1, buffer ^ 1);
      cp_async_wait<1>();
    } else {
      cp_async_wait<0>();
    }
    __syncthreads();

    // S = Q·Kᵀ for rows [16 warp_m, +16) and tokens [32 warp_n, +32).
    float s[4][4];
#pragma unroll
    for (int n = 0; n < 4; ++n) s[n][0] = s[n][1] = s[n][2] = s[n][3] = 0.f;
    if (warp_has_rows) {
      const int a_row = warp_m * 16 + (lane & 7) + ((lane >> 3) & 1) * 8;
      const int b_token = warp_n * 32 + (lane & 7) + (lane >> 4) * 8;
#pragma unroll 4
      for (int k = 0; k < kRowChunks / 2; ++k) {
        uint32_t a[4];
        ldmatrix_x4(s_q + tile_offset(a_row, 2 * k + (lane >> 4)), a);
#pragma unroll
        for (int pair = 0; pair < 2; ++pair) {
          uint32_t bf[4];
          ldmatrix_x4(s_block + tile_offset(b_token + pair * 16,
                                            2 * k + ((lane >> 3) & 1)), bf);
          mma_bf16_16816(s[2 * pair], a, bf[0], bf[1]);
          mma_bf16_16816(s[2 * pair + 1], a, bf[2], bf[3]);
        }
      }
    }

    // Mask, scale into the exp2 domain, row maxima over the block.
    const int token0 = (first_block + b) * kBlockTokens + warp_n * 32 + 2 * (lane & 3);
    float block_max[2] = {-INFINITY, -INFINITY};
#pragma unroll
    for (int n = 0; n < 4; ++n) {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int j = token0 + n * 8 + (e & 1);
        const int i = e >> 1;
        const bool visible = j >= piece.kv_begin && j < row_end[i];
        s[n][e] = visible ? s[n][e] * p.scale_log2 : -INFINITY;
        block_max[i] = fmaxf(block_max[i], s[n][e]);
      }
    }
    block_max[0] = quad_max(block_max[0]);
    block_max[1] = quad_max(block_max[1]);
    if ((lane & 3) == 0) {
      row_max_exchange[warp_n * 64 + r0] = block_max[0];
      row_max_exchange[warp_n * 64 + r0 + 8] = block_max[1];
    }
    __syncthreads();

    float scale[2];
#pragma unroll
    for (int i = 0; i < 2; ++i) {
      const float other = row_max_exchange[(1 - warp_n) * 64 + r0 + 8 * i];
      const float new_max = fmaxf(row_max[i], fmaxf(block_max[i], other));
      // With no visible key yet the max stays -inf; subtracting 0 keeps
      // every exp2 at 0 instead of NaN.
      const float base = new_max == -INFINITY ? 0.f : new_max;
      scale[i] = exp2f(row_max[i] - base);
      row_max[i] = new_max;
      row_sum[i] *= scale[i];
#pragma unroll
      for (int n = 0; n < 4; ++n) {
        s[n][2 * i] = exp2f(s[n][2 * i] - base);
        s[n][2 * i + 1] = exp2f(s[n][2 * i + 1] - base);
        row_sum[i] += s[n][2 * i] + s[n][2 * i + 1];
      }
    }
    if (warp_has_rows) {
      uint8_t* p_tile = smem + kPOffset;
#pragma unroll
      for (int n = 0; n < 4; ++n) {
        const int token = warp_n * 32 + n * 8 + 2 * (lane & 3);
#pragma unroll
        for (int i = 0; i < 2; ++i) {
          const int r = r0 + 8 * i;
          *reinterpret_cast<uint32_t*>(p_tile + p_offset(r, token / 8) +
                                       (token % 8) * 2) =
              pack_bf16x2(s[n][2 * i], s[n][2 * i + 1]);
        }
      }
    }
#pragma unroll
    for (int n = 0; n < 32; ++n) {
      acc[n][0] *= scale[0];
      acc[n][1] *= scale[0];
      acc[n][2] *= scale[1];
      acc[n][3] *= scale[1];
    }
    __syncthreads();

    // O += P·V for rows [16 warp_m, +16) and columns [256 warp_n, +256).
    if (warp_has_rows) {
      const int a_row = warp_m * 16 + (lane & 7) + ((lane >> 3) & 1) * 8;
      const int v_token = (lane & 7) + ((lane >> 3) & 1) * 8;
#pragma unroll
      for (int k = 0; k < kBlockTokens / 16; ++k) {
        uint32_t a[4];
        ldmatrix_x4(s_p + p_offset(a_row, 2 * k + (lane >> 4)), a);
#pragma unroll
        for (int pair = 0; pair < 16; ++pair) {
          uint32_t bf[4];
          ldmatrix_x4_trans(
              s_block + tile_offset(16 * k + v_token,
                                    warp_n * 32 + pair * 2 + (lane >> 4)),
              bf);
          mma_bf16_16816(acc[2 * pair], a, bf[0], bf[1]);
          mma_bf16_16816(acc[2 * pair + 1], a, bf[2], bf[3]);
        }
      }
    }
    __syncthreads();
  }

  // Totals: across the quad, then across the two warps sharing the rows.
  row_sum[0] = quad_sum(row_sum[0]);
  row_sum[1] = quad_sum(row_sum[1]);
  if ((lane & 3) == 0) {
    row_sum_exchange[warp_n * 64 + r0] = row_sum[0];
    row_sum_exchange[warp_n * 64 + r0 + 8] = row_sum[1];
  }
  __syncthreads();
  if (!warp_has_rows) return;
#pragma unroll
  for (int i = 0; i < 2; ++i) {
    const int r = r0 + 8 * i;
    if (r >= rows) continue;
    const float total = row_sum[i] + row_sum_exchange[(1 - warp_n) * 64 + r];
    const float inverse = total > 0.f ? 1.f / total : 0.f;
    const float lse = total > 0.f ? (row_max[i] + log2f(total)) * 0.69314718056f
                                  : -INFINITY;
    const int index = unit.row_begin + r;
    const int64_t token = unit.q_start + index / heads;
    const int head = index % heads;
    const int col0 = warp_n * 256 + 2 * (lane & 3);
    if (piece.slot < 0) {
      uint16_t* out = p.out + token * p.out_token_stride + head * p.out_head_stride;
#pragma unroll
      for (int n = 0; n < 32; ++n) {
        *reinterpret_cast<uint32_t*>(out + col0 + n * 8) =
            pack_bf16x2(acc[n][2 * i] * inverse, acc[n][2 * i + 1] * inverse);
      }
      if (warp_n == 0 && (lane & 3) == 0) {
        p.lse[token * p.lse_token_stride + head * p.lse_head_stride] = lse;
      }
    } else {
      const int64_t slot_row = int64_t(piece.slot) * p.slot_rows + r;
      float* out = p.partial_out + slot_row * kLatentDim;
#pragma unroll
      for (int n = 0; n < 32; ++n) {
        *reinterpret_cast<float2*>(out + col0 + n * 8) =
            make_float2(acc[n][2 * i] * inverse, acc[n][2 * i + 1] * inverse);
      }
      if (warp_n == 0 && (lane & 3) == 0) p.partial_lse[slot_row] = lse;
    }
  }
}

}  // namespace mladec::detail
