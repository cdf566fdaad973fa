#pragma once
// Where the e4m3 register-A path (src/cuda/fp8_register_a.cuh) finds a
// thread's wgmma A-fragment bytes in a staged fp8 block, as plain functions
// so that tests/register_a_layout_test.cpp checks them on the CPU against
// the fragment layout (per warp the m16n8k16 A fragment: register 0 row g,
// columns 2c, 2c + 1; register 1 row g + 8; registers 2, 3 the same rows,
// columns + 8; g = lane / 4, c = lane % 4) and prmt.b32's byte selection.
#include <cstdint>

#include "src/core/host_device.h"

namespace mladec::detail {

// Sᵀ = K·Qᵀ, A = K (rows tokens, columns dimensions). Of a k-step's 16
// bytes of a token row, lane group c loads the words at score_word_offset(c)
// and + 8; prmt(first, second, score_pick(c)) gives bytes 2c, 2c + 1,
// 2c + 8, 2c + 9: registers 0 (row g) / 2 (columns + 8) from its low and
// high halves.
MLADEC_HD constexpr uint32_t score_word_offset(int c) { return 4u * uint32_t(c >> 1); }
MLADEC_HD constexpr uint32_t score_pick(int c) { return (c & 1) ? 0x7632u : 0x5410u; }

// Oᵀ = Vᵀ·Pᵀ, A = Vᵀ (rows latent dimensions, columns tokens). Warpgroup m's
// accumulator tile t, row g + 8 · half of warp w holds latent dimension
// register_a_latent(m, t, w, g, half): tiles 2u and 2u + 1 of one thread
// cover four consecutive dimensions, read with one 4-byte load per token.
MLADEC_HD constexpr int register_a_latent(int m, int t, int warp, int g, int half) {
  return 256 * m + 128 * (t >> 1) + 32 * warp + 4 * g + 2 * (t & 1) + half;
}
// For tile 2u + v, prmt(word of token j, word of token j + 1,
// output_pick(v)) gives [row g: j, j + 1, row g + 8: j, j + 1]: registers
// 0 / 1 (or 2 / 3 for tokens j + 8, j + 9) from its halves.
MLADEC_HD constexpr uint32_t output_pick(int v) { return v ? 0x7362u : 0x5140u; }

}  // namespace mladec::detail
