#pragma once
// The producer warpgroup's work in the fp8-compute form
// (decode_math_fp8_compute.cuh; its loop, run_producer_fp8_compute, is in
// decode_kernel.cuh): its loader warp stages each KV block's e4m3 bytes as
// the register-A path does (TMA for full blocks of caches the map takes,
// else cp.async); its three other warps quantize each Q tile to e4m3
// (quantize_q_rows) and transpose each staged block's latent part into a
// Vᵀ buffer (transpose_v) — the K-major B operand 8-bit wgmma needs for
// O += P·V. Layouts: src/core/fp8_compute_layout.h.
#include <cstdint>

#include "mladec/constants.h"
#include "src/core/fp8_compute_layout.h"
#include "src/core/register_a_layout.h"
#include "src/cuda/async_copy.cuh"
#include "src/cuda/decode_layout.cuh"
#include "src/cuda/decode_params.h"
#include "src/cuda/fp8_kv_tiles.cuh"
#include "src/cuda/hopper.cuh"

namespace mladec::detail {

// Four floats as e4m3 bytes, the first in the low byte.
__device__ __forceinline__ uint32_t pack_e4m3x4(float v0, float v1, float v2, float v3) {
  return pack_e4m3x2(v0, v1) | (pack_e4m3x2(v2, v3) << 16);
}

// The address of row r of a unit's Q tile (bf16, 576 values).
__device__ __forceinline__ const uint4* q_row_address(const DecodeParams& p, const PlanUnit& unit,
                                                     int r) {
  const int index = unit.row_begin + r;
  return reinterpret_cast<const uint4*>(p.q +
                                        (unit.q_start + index / p.num_heads) * p.q_token_stride +
                                        (index % p.num_heads) * p.q_head_stride);
}

// Transposer warp `warp` (0..2) quantizes rows warp, warp + 3, .. of the
// unit's Q tile: each row times 2^shift (fp8_compute_q_shift of its largest
// magnitude) rounded to e4m3 into the tile's 9 slabs, 2^-shift to
// kQScaleOffset; rows past the unit's row count are zero. Lane l takes the
// row's 16-byte chunks l, l + 32 and (l < 8) l + 64, eight values each.
// kRowsAtOnce rows' loads are in flight together: one row at a time, the
// 22 rows of a warp were 22 global-memory latencies on the path of every
// piece's first block (bench/NOTES.md v48).
__device__ __forceinline__ void quantize_q_rows(const DecodeParams& p, const PlanUnit& unit,
                                                uint32_t smem, int warp, int lane) {
  using namespace decode_layout::fp8_compute;
  using decode_layout::kTileRows;
  constexpr int kChunks = decode_layout::kRowChunks;  // of a bf16 row: 8 values each
  constexpr int kRowsAtOnce = 2;
  constexpr int kRowStep = kTransposerWarps;
#pragma unroll 1
  for (int first = warp; first < kTileRows; first += kRowsAtOnce * kRowStep) {
    uint4 chunk[kRowsAtOnce][3] = {};
#pragma unroll
    for (int i = 0; i < kRowsAtOnce; ++i) {
      const int r = first + i * kRowStep;
      if (r < unit.row_count) {
        const uint4* source = q_row_address(p, unit, r);
        chunk[i][0] = source[lane];
        chunk[i][1] = source[lane + 32];
        if (lane + 64 < kChunks) chunk[i][2] = source[lane + 64];
      }
    }
#pragma unroll
    for (int i = 0; i < kRowsAtOnce; ++i) {
      const int r = first + i * kRowStep;
      if (r >= kTileRows) break;  // warp-uniform
      float largest = 0.f;
#pragma unroll
      for (int j = 0; j < 3; ++j) {
        const uint32_t words[4] = {chunk[i][j].x, chunk[i][j].y, chunk[i][j].z, chunk[i][j].w};
#pragma unroll
        for (int w = 0; w < 4; ++w) {
          largest = fmaxf(largest, fmaxf(fabsf(__uint_as_float(words[w] << 16)),
                                         fabsf(__uint_as_float(words[w] & 0xffff0000u))));
        }
      }
#pragma unroll
      for (int mask = 16; mask > 0; mask >>= 1) {
        largest = fmaxf(largest, __shfl_xor_sync(0xffffffffu, largest, mask));
      }
      const int shift = fp8_compute_q_shift(largest);
      const float factor = fp8_compute_power_of_two(shift);
#pragma unroll
      for (int j = 0; j < 3; ++j) {
        const int c = lane + 32 * j;
        if (c >= kChunks) break;
        const uint32_t words[4] = {chunk[i][j].x, chunk[i][j].y, chunk[i][j].z, chunk[i][j].w};
        float v[8];
#pragma unroll
        for (int w = 0; w < 4; ++w) {
          v[2 * w] = __uint_as_float(words[w] << 16) * factor;
          v[2 * w + 1] = __uint_as_float(words[w] & 0xffff0000u) * factor;
        }
        store_shared_v2(
            smem + kQ8Offset + (c / 8) * kFp8ComputeTileBytes + sw64_offset(r, 8 * (c % 8)),
            make_uint2(pack_e4m3x4(v[0], v[1], v[2], v[3]), pack_e4m3x4(v[4], v[5], v[6], v[7])));
      }
      if (lane == 0) {
        store_shared_f32(smem + kQScaleOffset + 4 * r, fp8_compute_power_of_two(-shift));
      }
    }
  }
}

// The loader's prefetch of a unit's Q rows into L2, a piece ahead of the
// transposers' quantization (each row one bulk prefetch by one lane).
__device__ __forceinline__ void prefetch_q_rows(const DecodeParams& p, const PlanUnit& unit,
                                                int lane) {
  for (int r = lane; r < unit.row_count; r += 32) {
    prefetch_l2(q_row_address(p, unit, r), kHeadDim * 2);
  }
}

// A staged block's 512 latent values into Vᵀ (fp8_compute_vt_offset), by
// transposer warp `warp` (0..2): units u = warp, warp + 3, .. of the 16
// (slab u / 2, half u % 2), each eight 8-byte reads, 4 × 4 byte transposes
// (prmt) and eight 8-byte stores, every address a per-lane base plus an
// immediate (fp8_compute_transpose_* in fp8_compute_layout.h say which bytes).
__device__ __forceinline__ void transpose_v(uint32_t staged, uint32_t vt, int warp, int lane) {
  using namespace decode_layout::fp8_compute;
  const uint32_t select_low = fp8_compute_transpose_low(lane);
  const uint32_t select_high = fp8_compute_transpose_high(lane);
  const uint32_t read_base[2] = {staged + fp8_compute_transpose_read_base(lane, 0),
                                 staged + fp8_compute_transpose_read_base(lane, 1)};
#pragma unroll 1
  for (int unit = warp; unit < 2 * kLatentDim / 64; unit += kTransposerWarps) {
    const int slab = unit / 2, half = unit % 2;
    const uint32_t write_base = vt + fp8_compute_transpose_write_base(slab, lane) +
                                fp8_compute_transpose_write_step(0, half);
    const uint32_t slab_offset = slab * kFp8ComputeTileBytes;
    uint32_t out[8][2];
#pragma unroll
    for (int kk = 0; kk < 2; ++kk) {
      const int k = 2 * half + kk;
      uint2 read[4];
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        read[j] = load_shared_v2((read_base[j % 2] ^ (16 * k)) + slab_offset +
                                 64 * (2 * k + 8 * (j / 2)));
      }
#pragma unroll
      for (int part = 0; part < 2; ++part) {
        const uint32_t x0 = part ? read[0].y : read[0].x, x1 = part ? read[1].y : read[1].x;
        const uint32_t x2 = part ? read[2].y : read[2].x, x3 = part ? read[3].y : read[3].x;
        const uint32_t low01 = byte_permute(x0, x1, select_low);
        const uint32_t high01 = byte_permute(x0, x1, select_high);
        const uint32_t low23 = byte_permute(x2, x3, select_low);
        const uint32_t high23 = byte_permute(x2, x3, select_high);
        out[4 * part + 0][kk] = byte_permute(low01, low23, 0x5410u);
        out[4 * part + 1][kk] = byte_permute(low01, low23, 0x7632u);
        out[4 * part + 2][kk] = byte_permute(high01, high23, 0x5410u);
        out[4 * part + 3][kk] = byte_permute(high01, high23, 0x7632u);
      }
    }
#pragma unroll
    for (int e = 0; e < 8; ++e) {
      store_shared_v2(write_base + fp8_compute_transpose_write_step(e, 0),
                      make_uint2(out[e][0], out[e][1]));
    }
  }
}

}  // namespace mladec::detail
