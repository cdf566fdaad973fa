#pragma once
// Where the fp8-compute form (src/cuda/decode_math_fp8_compute.cuh,
// src/cuda/fp8_compute_producer.cuh) puts and finds its bytes, as plain
// functions so that tests/fp8_compute_layout_test.cpp checks them on the CPU.
//
// Every operand in shared memory is 8-bit, K-major, in the 64-byte swizzle
// (rows of 64 bytes, 16-byte chunk c of row r at c ^ ((r >> 1) & 3)): the
// staged block (register_a_layout.h: tokens as rows, 9 slabs of 64
// dimensions), the quantized Q tile (query rows as rows, the same 9 slabs)
// and Vᵀ (latent values as rows, a block's 64 tokens as columns).
//
// O = P·V reduces over the block's tokens, so P (wgmma's A, from registers)
// and Vᵀ (its B) may order them alike in any way: k position (slot)
// 16 G + 4 c + 2 j + e holds token 16 G + 8 j + 2 c + e, so that the S
// accumulator values a thread holds (tokens 8 n + 2 c + e of its rows) are
// its A fragment as they are: register i of k-step kk is the thread's
// values n = 4 kk + 2 (i / 2) + {0, 1}, e = {0, 1} of row g (+ 8 for odd i).
// And O's columns may be any order of the latent values, undone when it is
// written: warpgroup m's column j is latent fp8_compute_latent(m, j), so
// that a thread's 64 values of a row are eight runs of eight consecutive
// latent values (16-byte stores).
#include <cstdint>

#include "mladec/constants.h"
#include "src/core/host_device.h"
#include "src/core/numeric_formats.h"
#include "src/core/register_a_layout.h"

namespace mladec::detail {

// A swizzled row and a 64-row tile: the staged block's token row and slab.
inline constexpr int kFp8ComputeRowBytes = kRegisterAStageTokenBytes;
inline constexpr int kFp8ComputeTileBytes = kRegisterAStageSlabBytes;
inline constexpr int kFp8ComputeSlabs = kHeadDim / kFp8ComputeRowBytes;  // of Q and of a staged block
inline constexpr int kFp8ComputeVtBytes = kLatentDim * kFp8ComputeRowBytes;
// A block's P for the other warpgroup: each owner thread's eight A-fragment
// registers, k-step kk's four at fp8_compute_p_offset(thread, kk), read back
// by the same thread of the other warpgroup. One plane per k-step: at
// 32 · thread + 16 · kk a quarter warp's 16-byte accesses spanned 256 bytes,
// two wavefronts each (Nsight, bench/NOTES.md v77).
inline constexpr int kFp8ComputePPlaneBytes = 128 * 16;
inline constexpr int kFp8ComputePBytes = 2 * kFp8ComputePPlaneBytes;
MLADEC_HD constexpr int fp8_compute_p_offset(int thread, int kk) {
  return kk * kFp8ComputePPlaneBytes + 16 * thread;
}
// P is stored times 2^8: e4m3 keeps 3 bits from 2^-6 down to 2^-9 only, and
// P ∈ [0, 1]; scaled, values down to 2^-14 keep all of them (448 > 256).
inline constexpr float kFp8ComputePShift = 8.f;

// Byte offset of (row, byte) in a 64-byte-swizzled region (atom aligned).
MLADEC_HD constexpr int sw64_offset(int row, int byte) {
  return row * kFp8ComputeRowBytes + 16 * ((byte / 16) ^ ((row >> 1) & 3)) + byte % 16;
}

MLADEC_HD constexpr int fp8_compute_slot_token(int slot) {
  return 16 * (slot / 16) + 8 * ((slot % 4) / 2) + 2 * ((slot % 16) / 4) + slot % 2;
}
MLADEC_HD constexpr int fp8_compute_token_slot(int token) {
  return 16 * (token / 16) + 4 * ((token % 8) / 2) + 2 * ((token % 16) / 8) + token % 2;
}
// The S accumulator element (of 32: 4 n + x, row g + 8 (x / 2), token
// 8 n + 2 c + x % 2) that is byte `byte` of A register `reg` of k-step kk.
MLADEC_HD constexpr int fp8_compute_p_element(int kk, int reg, int byte) {
  return 4 * (4 * kk + 2 * (reg / 2) + byte / 2) + 2 * (reg % 2) + byte % 2;
}

// O's column j (0..255) of warpgroup m <-> latent value: Vᵀ's row 256 m + j
// holds latent fp8_compute_latent(m, j).
MLADEC_HD constexpr int fp8_compute_latent(int m, int column) {
  return 256 * m + 64 * (column / 64) + 8 * (column % 8) + (column % 64) / 8;
}
MLADEC_HD constexpr int fp8_compute_vt_row(int latent) {
  return 64 * (latent / 64) + (latent % 8) * 8 + (latent % 64) / 8;
}
// Byte offset in a Vᵀ buffer of (latent value, slot).
MLADEC_HD constexpr int fp8_compute_vt_offset(int latent, int slot) {
  return sw64_offset(fp8_compute_vt_row(latent), slot);
}

// The producer's transpose (fp8_compute_producer.cuh): lane (a = lane / 8,
// b = lane % 8) takes the tokens 16 a .. 16 a + 15 and the latent values
// 64 S + 8 b .. + 7 of a slab S, in two halves of eight slots. Word k of a
// group's slots (4 k .. 4 k + 3) is tokens 2 k, 2 k + 1, 2 k + 8, 2 k + 9,
// read as 8-byte words, lanes of odd a reading each pair's odd token first
// (token ^ 1): in every read the warp's lanes take two even and two odd
// tokens, one wavefront each half of the banks. The token lane `lane`
// reads as read j (0..3) of word k (0..3):
MLADEC_HD constexpr int fp8_compute_transpose_token(int lane, int k, int j) {
  return (16 * (lane / 8) + 2 * k + (j % 2) + 8 * (j / 2)) ^ ((lane / 8) & 1);
}
// Its address in a staged block (slab S): the token's row has swizzle k,
// so read j of word k is one of two per-lane bases (j % 2), its chunk bits
// XORed with k, plus immediates (tests/fp8_compute_layout_test.cpp).
MLADEC_HD constexpr int fp8_compute_transpose_read_base(int lane, int odd_token) {
  return 64 * (16 * (lane / 8) + (odd_token ^ ((lane / 8) & 1))) + 16 * ((lane % 8) / 2) +
         8 * (lane % 2);
}
MLADEC_HD constexpr int fp8_compute_transpose_read_offset(int lane, int slab, int k, int j) {
  return (fp8_compute_transpose_read_base(lane, j % 2) ^ (16 * k)) + slab * kFp8ComputeTileBytes +
         kFp8ComputeRowBytes * (2 * k + 8 * (j / 2));
}
// prmt selectors of the transpose's first step (pairing reads 0, 1 and 2,
// 3, the lower or upper two bytes): the pair's order is swapped for lanes
// of odd a. The second step is fixed: 0x5410, 0x7632.
MLADEC_HD constexpr uint32_t fp8_compute_transpose_low(int lane) {
  return (lane / 8) & 1 ? 0x1504u : 0x5140u;
}
MLADEC_HD constexpr uint32_t fp8_compute_transpose_high(int lane) {
  return (lane / 8) & 1 ? 0x3726u : 0x7362u;
}
// The half of its slots lane `lane` transposes in unit half `half` (0, 1):
// lanes whose chunk (lane % 8) / 2 is odd take the other one. With the same
// half on every lane, four lanes of each 8-byte store met on every bank pair
// used (16 of 32 banks: four wavefronts for 256 bytes); so each store fills
// all 32 banks twice, and the reads keep their two wavefronts
// (tests/fp8_compute_layout_test.cpp; bench/NOTES.md v76).
MLADEC_HD constexpr int fp8_compute_transpose_half(int lane, int half) {
  return half ^ ((lane >> 1) & 1);
}
// Where latent 64 S + 8 b + e's slots 16 a + 8 half .. + 7 go in Vᵀ: row
// 64 S + b + 8 e, chunk a ^ (b >> 1) — one per-lane base per slab plus
// immediates.
MLADEC_HD constexpr int fp8_compute_transpose_write_base(int slab, int lane) {
  return 64 * (64 * slab + lane % 8) + 16 * ((lane / 8) ^ ((lane % 8) >> 1));
}
MLADEC_HD constexpr int fp8_compute_transpose_write_step(int e, int half) {
  return 64 * 8 * e + 8 * half;
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
