#pragma once
// The producer warpgroup's work in the fp8-compute form
// (decode_math_fp8_compute.cuh; its loop, run_producer_fp8_compute, is in
// decode_kernel.cuh): its loader warp stages each KV block's e4m3 bytes as
// the register-A path does (TMA for full blocks of caches the map takes,
// else cp.async) and prefetches each piece's Q rows into L2; its three other
// warps transpose each staged block's latent part into a Vᵀ buffer
// (transpose_v) — the K-major B operand 8-bit wgmma needs for O += P·V.
// Layouts: src/core/fp8_compute_layout.h.
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

// The loader's prefetch of a unit's Q rows into L2, a few blocks before the
// math warpgroups quantize them (quantize_q_tile in
// decode_math_fp8_compute.cuh; each row one bulk prefetch by one lane).
__device__ __forceinline__ void prefetch_q_rows(const DecodeParams& p, const PlanUnit& unit,
                                                int lane) {
  for (int r = lane; r < unit.row_count; r += 32) {
    prefetch_l2(q_row_address(p, unit, r), decode_layout::kRowChunks * 16);
  }
}

// A staged block's 512 latent values into Vᵀ (fp8_compute_vt_offset), by
// transposer warp `warp` (0..2): units u = warp, warp + 3, .. of the 16
// (slab u / 2, half u % 2 — or the other one, by lane:
// fp8_compute_transpose_half), each eight 8-byte reads, 4 × 4 byte
// transposes (prmt) and eight 8-byte stores, every store address a per-lane
// base plus an immediate (fp8_compute_transpose_* in fp8_compute_layout.h
// say which bytes).
__device__ __forceinline__ void transpose_v(uint32_t staged, uint32_t vt, int warp, int lane) {
  using namespace decode_layout::fp8_compute;
  const uint32_t select_low = fp8_compute_transpose_low(lane);
  const uint32_t select_high = fp8_compute_transpose_high(lane);
  const uint32_t read_base[2] = {staged + fp8_compute_transpose_read_base(lane, 0),
                                 staged + fp8_compute_transpose_read_base(lane, 1)};
#pragma unroll 1
  for (int unit = warp; unit < 2 * kLatentDim / 64; unit += kTransposerWarps) {
    const int slab = unit / 2, half = fp8_compute_transpose_half(lane, unit % 2);
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
