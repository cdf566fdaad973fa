#pragma once
// Where the fp8-compute form (src/cuda/decode_math_fp8_compute.cuh,
// src/cuda/fp8_compute_producer.cuh) puts and finds its bytes, as plain
// functions so that tests/fp8_compute_layout_test.cpp checks them on the CPU.
//
// Every operand is 8-bit, K-major, in the 64-byte swizzle (rows of 64
// bytes, 16-byte chunk c of row r at c ^ ((r >> 1) & 3)): the staged block
// (register_a_layout.h: tokens as rows, 9 slabs of 64 dimensions), the
// quantized Q tile (query rows as rows, the same 9 slabs), Vᵀ (latent values
// as rows, a block's 64 tokens as columns) and Pᵀ (query rows as rows, 64
// token columns).
//
// Oᵀ = Vᵀ·Pᵀ reduces over the block's tokens, so Vᵀ and Pᵀ may order them
// alike in any way: column (slot) 16 j + 2 g + h holds token 16 j + g + 8 h,
// so that the two tokens of an Sᵀ accumulator thread (rows g, g + 8 of a
// warp's 16) are adjacent in Pᵀ (one 16-bit store). And Oᵀ's rows may be any
// order of the latent values, undone when it is written: warpgroup m's tile t
// (of four) row 16 w + g + 8 h is latent 256 m + 8 (8 w + g) + 2 t + h, so a
// thread's eight values of a query row are eight consecutive latent values
// (one 16-byte store).
#include <cstdint>

#include "mladec/constants.h"
#include "src/core/host_device.h"
#include "src/core/numeric_formats.h"

namespace mladec::detail {

inline constexpr int kFp8ComputeRowBytes = 64;      // a swizzled row
inline constexpr int kFp8ComputeTileBytes = 4096;   // 64 rows: a slab, an m64 tile
inline constexpr int kFp8ComputeSlabs = kHeadDim / 64;  // of Q and of a staged block
inline constexpr int kFp8ComputeVtBytes = kLatentDim * kFp8ComputeRowBytes;
inline constexpr int kFp8ComputePBytes = 64 * kFp8ComputeRowBytes;
// P is stored times 2^8: e4m3 keeps 3 bits from 2^-6 down to 2^-9 only, and
// P ∈ [0, 1]; scaled, values down to 2^-14 keep all of them (448 > 256).
inline constexpr float kFp8ComputePShift = 8.f;

// Byte offset of (row, byte) in a 64-byte-swizzled region (atom aligned).
MLADEC_HD constexpr int sw64_offset(int row, int byte) {
  return row * kFp8ComputeRowBytes + 16 * ((byte / 16) ^ ((row >> 1) & 3)) + byte % 16;
}

MLADEC_HD constexpr int fp8_compute_slot_token(int slot) {
  return 16 * (slot / 16) + (slot % 16) / 2 + 8 * (slot % 2);
}
MLADEC_HD constexpr int fp8_compute_token_slot(int token) {
  return 16 * (token / 16) + 2 * (token % 8) + (token % 16) / 8;
}

// Oᵀ: warpgroup m's accumulator tile t, row `row` (0..63) <-> latent value.
MLADEC_HD constexpr int fp8_compute_latent(int m, int tile, int row) {
  return 256 * m + 8 * (8 * (row / 16) + row % 8) + 2 * tile + (row % 16) / 8;
}
// Vᵀ's row of latent value `latent`: tile 4 m + t of the buffer, row in it.
MLADEC_HD constexpr int fp8_compute_vt_tile(int latent) {
  return 4 * (latent / 256) + (latent % 8) / 2;
}
MLADEC_HD constexpr int fp8_compute_vt_row(int latent) {
  return 16 * ((latent % 256) / 64) + (latent % 64) / 8 + 8 * (latent % 2);
}
// Byte offset in a Vᵀ buffer of (latent value, slot).
MLADEC_HD constexpr int fp8_compute_vt_offset(int latent, int slot) {
  return fp8_compute_vt_tile(latent) * kFp8ComputeTileBytes +
         sw64_offset(fp8_compute_vt_row(latent), slot);
}

// The producer's transpose (fp8_compute_producer.cuh): lane (a = lane / 8,
// b = lane % 8) of producer warp w takes the tokens 16 a .. 16 a + 15 and
// the latent values 64 S + 8 b .. + 7 of slabs S = w and w + 4, in two
// halves of eight tokens. Slots 4 k .. 4 k + 3 are tokens 2 k, 2 k + 8,
// 2 k + 1, 2 k + 9 (of the group), read as 8-byte words, lanes of odd a
// reading each pair's odd token first (token ^ 1): in every read the
// warp's lanes take two even and two odd tokens, one wavefront each half of
// the banks. The token lane `lane` reads as read j (0..3) of word k (0..3):
MLADEC_HD constexpr int fp8_compute_transpose_token(int lane, int k, int j) {
  return (16 * (lane / 8) + 2 * k + 8 * (j % 2) + j / 2) ^ ((lane / 8) & 1);
}
// Its address in a staged block (slab S): the token's row has swizzle k,
// so read j of word k is one of two per-lane bases (j / 2), its chunk bits
// XORed with k, plus immediates (tests/fp8_compute_layout_test.cpp).
MLADEC_HD constexpr int fp8_compute_transpose_read_base(int lane, int odd_token) {
  return 64 * (16 * (lane / 8) + (odd_token ^ ((lane / 8) & 1))) + 16 * ((lane % 8) / 2) +
         8 * (lane % 2);
}
MLADEC_HD constexpr int fp8_compute_transpose_read_offset(int lane, int slab, int k, int j) {
  return (fp8_compute_transpose_read_base(lane, j / 2) ^ (16 * k)) + slab * 4096 +
         64 * (2 * k + 8 * (j % 2));
}
// Where latent 64 S + 8 b + e's slots 16 a + 8 half .. + 7 go in Vᵀ: one
// per-lane base (warp w = S % 4) plus immediates.
MLADEC_HD constexpr int fp8_compute_transpose_write_base(int warp, int lane) {
  return 64 * (16 * warp + lane % 8) + 16 * ((lane / 8) ^ ((lane % 8) >> 1));
}
MLADEC_HD constexpr int fp8_compute_transpose_write_step(int slab_group, int e, int half) {
  return 4 * kFp8ComputeTileBytes * slab_group + kFp8ComputeTileBytes * (e / 2) +
         64 * 8 * (e % 2) + 8 * half;
}
// prmt selectors of the transpose's second step: read pairs (0, 1) and
// (2, 3) trade places for lanes of odd a.
MLADEC_HD constexpr uint32_t fp8_compute_transpose_low(int lane) {
  return (lane / 8) & 1 ? 0x1054u : 0x5410u;
}
MLADEC_HD constexpr uint32_t fp8_compute_transpose_high(int lane) {
  return (lane / 8) & 1 ? 0x3276u : 0x7632u;
}

// Row statistics exchanged between the warpgroups (rescale factors per
// block, maxima and totals per piece): query row r's float at index
// fp8_compute_row_index(r), so that the thread of lane column c, which
// holds query rows 8 i + 2 c + e (i = 0..7, e = 0..1) of Oᵀ, reads its 16
// as four 16-byte loads at 16 c.
MLADEC_HD constexpr int fp8_compute_row_index(int row) {
  return 16 * ((row % 8) / 2) + 2 * (row / 8) + row % 2;
}

// Q rows quantized to e4m3 with a power-of-two scale: the largest magnitude
// of the row into [128, 256) (exact scaling; 448 is e4m3's largest). The
// shift of a row whose largest magnitude is `largest` (0 for a zero row).
MLADEC_HD int fp8_compute_q_shift(float largest) {
  if (!(largest > 0.f) || largest > 3.0e38f) return 0;
  const uint32_t bits = float_to_bits(largest);
  const int exponent = int((bits >> 23) & 0xff) - 127;
  const int shift = 7 - exponent;
  // Both 2^shift and 2^-shift normal floats: rows below 2^-119 (far below
  // any activation) stay below 128 and lose bits to e4m3's subnormals.
  return shift > 126 ? 126 : shift;
}
// 2^shift as a float (-126 <= shift <= 126).
MLADEC_HD float fp8_compute_power_of_two(int shift) {
  return bits_to_float(uint32_t(shift + 127) << 23);
}

}  // namespace mladec::detail
