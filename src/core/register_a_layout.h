#pragma once
// Where the e4m3 register-A path (src/cuda/fp8_register_a.cuh,
// src/cuda/decode_math_register_a.cuh) puts and finds its bytes, as plain
// functions so that tests/register_a_layout_test.cpp checks them on the CPU:
// against the wgmma A-fragment layout (per warp the m16n8k16 A fragment:
// register 0 row g, columns 2c, 2c + 1; register 1 row g + 8; registers 2,
// 3 the same rows, columns + 8; g = lane / 4, c = lane % 4), prmt.b32's
// byte selection and the banks of the 16-byte shared-memory reads.
//
// A staged block is slab-major, the layout a TMA copy with the 64-byte
// swizzle writes: slab s (64 dimensions) of the block's 64 tokens at
// s · 4096, token t's 64 bytes of it at t · 64, its 16-byte chunk c at
// chunk position c ^ ((t >> 1) & 3) — the swizzle XORs address bits 7-8
// into bits 4-5, and bits 7-8 of t · 64 are (t >> 1) & 3. The swizzle
// spreads the Vᵀ reads of tokens two and four apart over the banks; every
// read below is a whole or half chunk.
#include <cstdint>

#include "mladec/constants.h"
#include "src/core/host_device.h"

namespace mladec::detail {

inline constexpr int kRegisterAStageTokens = 64;      // a block (decode_layout::kBlockTokens)
inline constexpr int kRegisterAStageTokenBytes = 64;  // per slab: 64 e4m3 values
inline constexpr int kRegisterAStageSlabBytes = kRegisterAStageTokens * kRegisterAStageTokenBytes;

MLADEC_HD constexpr int staged_chunk(int token, int chunk) { return chunk ^ ((token >> 1) & 3); }
// Byte offset of token t's 16-byte chunk k (of 36) in a staged block.
MLADEC_HD constexpr int staged_offset(int token, int chunk) {
  return (chunk / 4) * kRegisterAStageSlabBytes + token * kRegisterAStageTokenBytes +
         16 * staged_chunk(token, chunk % 4);
}

// Sᵀ = K·Qᵀ, A = K (rows tokens, columns dimensions). Lane group c loads
// chunk c of a slab of its token rows (16 dimensions, 64 s + 16 c ..); word
// j of it gives k-step j of the slab: its low half registers 0 / 1 (columns
// 2c, 2c + 1), its high half registers 2 / 3 (columns 2c + 8, 2c + 9). So
// k-step j's column x is dimension q_dimension(j, x) of the slab, and Q —
// wgmma's B, read from shared memory in the usual k order — is stored
// permuted to match (convert_q_to_f16): 32-bit word 4 p + c of a slab row
// (p = 2 j + h) holds the two values of its word 8 c + p.
MLADEC_HD constexpr int q_dimension(int k_step, int column) {
  return 16 * ((column % 8) / 2) + 4 * k_step + 2 * (column / 8) + column % 2;
}
MLADEC_HD constexpr int q_source_word(int destination_word) {
  return 8 * (destination_word % 4) + destination_word / 4;
}
// The conversion's reads: destination chunk p (words 4 p + c, c = 0..3) of
// a Q row in a 128-byte-swizzled slab takes source words 8 c + p, at
// chunks 2 c + p / 4. The swizzle XORs row % 8 into the chunk, so the four
// lie at one base + 32 (c ^ rotation): a thread reads the words at base +
// 0, 32, 64, 96 (immediate offsets, one address register) and puts read j
// at position j ^ rotation.
MLADEC_HD constexpr int q_source_base(int row, int p) {
  return row * 128 + 16 * ((p / 4) ^ (row & 1)) + 4 * (p % 4);
}
MLADEC_HD constexpr int q_source_rotation(int row) { return (row >> 1) & 3; }

// Oᵀ = Vᵀ·Pᵀ, A = Vᵀ (rows latent dimensions, columns tokens). k-step kk's
// column x is token output_token(kk, x) of the block: lane group c reads
// tokens 16 kk + c + {0, 4, 8, 12} (columns 2c, 2c + 1, 2c + 8, 2c + 9).
// Pᵀ (B) is stored in that order: token j at k position output_slot(j).
MLADEC_HD constexpr int output_token(int kk, int column) {
  return 16 * kk + (column % 8) / 2 + 4 * (column % 2) + 8 * (column / 8);
}
MLADEC_HD constexpr int output_slot(int token) {
  return 16 * (token / 16) + 2 * (token % 4) + (token / 4) % 2 + 8 * ((token % 16) / 8);
}
// Where a thread stores its Pᵀ elements in output_slot order, in a tile of
// 128-byte-swizzled rows (query row r, k position x at 128 r + 16 ((x / 8)
// ^ (r % 8)) + 2 (x % 8)): element (thread row q — query row 8 (q / 2) +
// 2 (lane % 4) + q % 2 — token row h — token 16 warp + lane / 4 + 8 h) at
// transposed_p_store_base(warp, lane) + transposed_p_store_step(q, h). The
// token's chunk 2 warp + h and the row's swizzle bits 2 (lane % 4) + q % 2
// XOR bitwise apart, so one base per thread and immediates cover all eight
// (tests/register_a_layout_test.cpp).
MLADEC_HD constexpr int transposed_p_store_base(int warp, int lane) {
  const int c = lane % 4, g = lane / 4;
  return 256 * c + 32 * (warp ^ c) + 2 * (2 * (g % 4) + (g / 4) % 2);
}
MLADEC_HD constexpr int transposed_p_store_step(int q, int h) {
  return 1024 * (q / 2) + 128 * (q % 2) + 16 * (h ^ (q % 2));
}

// Lane row g of warp w reads one chunk of each token: slab output_slab(w, g)
// (of the latent's eight), chunk output_chunk(g). Accumulator tile t (of
// eight) row g (+ 8 · half) is latent dimension 64 slab + 16 chunk + 2t +
// half: bytes 2t, 2t + 1 of the chunk.
MLADEC_HD constexpr int output_slab(int warp, int g) { return 2 * warp + g / 4; }
MLADEC_HD constexpr int output_chunk(int g) { return 2 * (g % 2) + (g / 2) % 2; }
MLADEC_HD constexpr int output_latent(int warp, int g, int tile, int half) {
  return 64 * output_slab(warp, g) + 16 * output_chunk(g) + 2 * tile + half;
}
// For tile t, prmt(word t / 2 of token a, the same word of token b,
// output_pick(t)) gives [row g: a, b, row g + 8: a, b]: the low half one
// register, the high half the next.
MLADEC_HD constexpr uint32_t output_pick(int tile) { return tile % 2 ? 0x7362u : 0x5140u; }

// 32-row tiles: Oᵀ's eight accumulator tiles of m64n32 (128 floats per
// thread) go in two passes; pass m covers the latent values [256 m,
// 256 m + 256), four tiles. Lane row g of warp w reads eight bytes of each
// token: half split_output_half(g) of chunk split_output_chunk(g) of slab
// 4m + w. Tile t (of four) row g (+ 8 · half) is byte 2t (+ 1) of them.
// The 8-byte reads go a half warp per wavefront: rows g = 0..3 take
// chunks {0, 2} × halves, rows 4..7 chunks {1, 3} × halves, so that the
// tokens of lane groups c and c + 2 (a swizzle apart) never share a bank.
MLADEC_HD constexpr int split_output_slab(int m, int warp) { return 4 * m + warp; }
MLADEC_HD constexpr int split_output_chunk(int g) { return 2 * ((g >> 1) & 1) + (g >> 2); }
MLADEC_HD constexpr int split_output_half(int g) { return g & 1; }
MLADEC_HD constexpr int split_output_latent(int m, int warp, int g, int tile, int half) {
  return 64 * split_output_slab(m, warp) + 16 * split_output_chunk(g) + 8 * split_output_half(g) +
         2 * tile + half;
}

// Blockwise caches (656-byte tokens: 512 e4m3 latent values, 4 float
// scales, 64 bf16 RoPE values) on the register-A path: a staged block holds
// the latent bytes as slabs 0..7 of the e4m3 layout above (so Vᵀ and the
// latent part of Sᵀ read them the same way), then each token's four scales
// (16 bytes at kBlockwiseStageScales + 16 t: one 16-byte read gives a
// token's all four), then the RoPE values as they are stored (128 bytes at
// kBlockwiseStageRope + 128 t, 16-byte chunk k at position k ^ (t & 7)).
// bf16 RoPE values are not all f16 values, so Sᵀ's RoPE part is a bf16
// wgmma of its own (A = these values, B = Q's RoPE columns in bf16).
inline constexpr int kBlockwiseLatentSlabs = kLatentDim / kRegisterAStageTokenBytes;
inline constexpr int kBlockwiseScaleBytes = kBlockwiseScales * int(sizeof(float));  // a token's
inline constexpr int kBlockwiseRopeBytes = kRopeDim * 2;                            // bf16
inline constexpr int kBlockwiseStageScales = kBlockwiseLatentSlabs * kRegisterAStageSlabBytes;
inline constexpr int kBlockwiseStageRope =
    kBlockwiseStageScales + kRegisterAStageTokens * kBlockwiseScaleBytes;
inline constexpr int kBlockwiseStageBytes =
    kBlockwiseStageRope + kRegisterAStageTokens * kBlockwiseRopeBytes;
MLADEC_HD constexpr int blockwise_rope_offset(int token, int chunk) {
  return kBlockwiseStageRope + kBlockwiseRopeBytes * token + 16 * (chunk ^ (token & 7));
}
// Where source chunk c (of 41) of a cached token lands in the staged block:
// the 32 latent chunks as e4m3's, chunk 32 (the scales) and the 8 RoPE
// chunks as above. The producer's copies (cp.async, or TMA copies that
// leave the same layout) and every reader go through these.
inline constexpr int kBlockwiseTokenChunks = kBlockwiseTokenBytes / 16;
inline constexpr int kBlockwiseLatentChunks = kLatentDim / 16;  // then one of scales
MLADEC_HD constexpr int blockwise_staged_offset(int token, int chunk) {
  return chunk < kBlockwiseLatentChunks ? staged_offset(token, chunk)
         : chunk == kBlockwiseLatentChunks
             ? kBlockwiseStageScales + kBlockwiseScaleBytes * token
             : blockwise_rope_offset(token, chunk - kBlockwiseLatentChunks - 1);
}
// Blockwise Oᵀ: group-pure tiles — tile 2G + u holds 64 of group G's 128
// latent values — since each tile's wgmmas read one Pᵀ_G (the e4m3 tiles
// above mix slabs: a lane row's chunk feeds all eight). Lane row g of warp
// w reads one 4-byte word of each token per group: word
// blockwise_output_word(w, g) (of the group's 32, byte offset 4 · word);
// tile 2G + u row g (+ 8 · half) is latent 128 G + 4 word + 2u + half —
// bytes 2u, 2u + 1 of the word, picked by output_pick(tile) as above. The
// word's bits: g & 3 its place in a chunk, w & 1 and g >> 2 the chunk in a
// slab, w >> 1 the group's second slab: a warp's lanes read chunks {0, 2}
// or {1, 3}, which with the tokens' swizzle puts the 32 reads on 32 banks.
MLADEC_HD constexpr int blockwise_output_word(int warp, int g) {
  return (g & 3) | ((warp & 1) << 2) | ((g >> 2) << 3) | ((warp >> 1) << 4);
}
// The token's 16-byte chunk (of the 32 latent ones) holding group `group`'s
// word of lane row (warp, g); its word within the chunk is g & 3.
MLADEC_HD constexpr int blockwise_output_chunk(int warp, int g, int group) {
  return 8 * group + blockwise_output_word(warp, g) / 4;
}
// The byte offset in a staged block of the word lane (warp, g, c) reads for
// token column `column` (of output_token) at k-step kk and group `group`:
// blockwise_output_offset(warp, g, column) + kk · kBlockwiseOutputStepBytes
// + group · kBlockwiseOutputGroupBytes — k-steps move the token by 16 and
// groups the chunk by 8 (two slabs), neither of which touches the swizzle
// (token bits 1..2), so a thread keeps four offsets and every read adds
// immediates (tests/register_a_layout_test.cpp).
inline constexpr int kBlockwiseOutputStepBytes = 16 * kRegisterAStageTokenBytes;
inline constexpr int kBlockwiseOutputGroupBytes = 2 * kRegisterAStageSlabBytes;
MLADEC_HD constexpr int blockwise_output_offset(int warp, int g, int column) {
  return staged_offset(output_token(0, column), blockwise_output_chunk(warp, g, 0)) + 4 * (g & 3);
}
MLADEC_HD constexpr int blockwise_output_latent(int warp, int g, int tile, int half) {
  return 128 * (tile / 2) + 4 * blockwise_output_word(warp, g) + 2 * (tile % 2) + half;
}
// Sᵀ's RoPE part, k-step kk (RoPE values 16 kk ..): A register r of lane
// (g, c) is word c of chunk rope_fragment_chunk(kk, r) of token row g
// (r = 0, 2) or g + 8 (r = 1, 3) — the m16n8k16 A fragment in the values'
// own order (columns 2c, 2c + 1 from chunk 2 kk, 2c + 8, 2c + 9 from the
// next), so Q's RoPE columns stay in their order too.
MLADEC_HD constexpr int rope_fragment_chunk(int kk, int reg) { return 2 * kk + reg / 2; }
MLADEC_HD constexpr int rope_fragment_row_offset(int reg) { return 8 * (reg % 2); }

}  // namespace mladec::detail
