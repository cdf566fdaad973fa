// The e4m3 register-A path's byte gathering (src/core/register_a_layout.h,
// used by src/cuda/fp8_register_a.cuh) against the wgmma A-fragment layout
// and prmt.b32 as the PTX ISA defines them, emulated here: each thread's
// registers must hold exactly the (row, column) elements the fragment
// assigns it, and the output rows must cover every latent dimension once.
#include "src/core/register_a_layout.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <set>

#include "mladec/constants.h"

namespace mladec::test {
namespace {

using detail::output_pick;
using detail::register_a_latent;
using detail::score_pick;
using detail::score_word_offset;

// prmt.b32 d, a, b, c (default mode): byte i of d is byte (c >> 4i) & 7 of
// the eight bytes {b, a} (a's are 0..3); selector bit 3 would replicate a
// sign, which these selectors must not use.
uint32_t prmt(uint32_t a, uint32_t b, uint32_t selector) {
  const uint64_t bytes = (uint64_t(b) << 32) | a;
  uint32_t d = 0;
  for (int i = 0; i < 4; ++i) {
    const uint32_t nibble = (selector >> (4 * i)) & 0xf;
    EXPECT_EQ(nibble & 8, 0u) << "sign-replicating selector " << std::hex << selector;
    d |= uint32_t((bytes >> (8 * (nibble & 7))) & 0xff) << (8 * i);
  }
  return d;
}

// Little-endian word of `row` (a byte array) at `offset`.
uint32_t word_at(const uint8_t* row, uint32_t offset) {
  return uint32_t(row[offset]) | uint32_t(row[offset + 1]) << 8 |
         uint32_t(row[offset + 2]) << 16 | uint32_t(row[offset + 3]) << 24;
}

TEST(RegisterALayout, ScoreFragmentHoldsColumns2cAnd2cPlus8) {
  // One k-step of a token row: byte i is dimension i of the step.
  uint8_t step[16];
  for (int i = 0; i < 16; ++i) step[i] = uint8_t(i);
  for (int c = 0; c < 4; ++c) {
    const uint32_t x = prmt(word_at(step, score_word_offset(c)),
                            word_at(step, score_word_offset(c) + 8), score_pick(c));
    // Register 0 (row g): columns 2c, 2c + 1 in its low and high halves;
    // register 2 (row g, columns + 8): 2c + 8, 2c + 9.
    EXPECT_EQ(x & 0xff, uint32_t(2 * c)) << "c " << c;
    EXPECT_EQ((x >> 8) & 0xff, uint32_t(2 * c + 1)) << "c " << c;
    EXPECT_EQ((x >> 16) & 0xff, uint32_t(2 * c + 8)) << "c " << c;
    EXPECT_EQ(x >> 24, uint32_t(2 * c + 9)) << "c " << c;
    // The two words lie inside the 16-byte step.
    EXPECT_LE(score_word_offset(c) + 8 + 4, 16u);
  }
}

TEST(RegisterALayout, OutputRowsCoverEveryLatentDimensionOnce) {
  std::set<int> seen;
  for (int m = 0; m < 2; ++m) {
    for (int t = 0; t < 4; ++t) {
      for (int warp = 0; warp < 4; ++warp) {
        for (int g = 0; g < 8; ++g) {
          for (int half = 0; half < 2; ++half) {
            const int d = register_a_latent(m, t, warp, g, half);
            EXPECT_GE(d, 0);
            EXPECT_LT(d, kLatentDim);
            EXPECT_TRUE(seen.insert(d).second) << "dimension " << d << " twice";
          }
        }
      }
    }
  }
  EXPECT_EQ(int(seen.size()), kLatentDim);
  // Tiles 2u and 2u + 1 of a thread are four consecutive dimensions from
  // the one its 4-byte load starts at (4-byte aligned).
  for (int u = 0; u < 2; ++u) {
    const int base = register_a_latent(1, 2 * u, 3, 5, 0);
    EXPECT_EQ(base % 4, 0);
    for (int v = 0; v < 2; ++v) {
      for (int half = 0; half < 2; ++half) {
        EXPECT_EQ(register_a_latent(1, 2 * u + v, 3, 5, half), base + 2 * v + half);
      }
    }
  }
}

TEST(RegisterALayout, OutputFragmentPairsADimensionsTwoTokens) {
  // Words of tokens j and j + 1 at a thread's four dimensions D..D + 3:
  // byte k of token j's word is 16 j + k, so the token and the dimension
  // can be read back.
  const uint32_t token_j = 0x03020100u, token_j1 = 0x13121110u;
  for (int v = 0; v < 2; ++v) {
    const uint32_t x = prmt(token_j, token_j1, output_pick(v));
    // Register for row g (dimension D + 2v): tokens j, j + 1 (columns
    // 2c, 2c + 1) in the low half; row g + 8 (dimension D + 2v + 1): the
    // high half.
    EXPECT_EQ(x & 0xff, uint32_t(0x00 + 2 * v)) << "v " << v;
    EXPECT_EQ((x >> 8) & 0xff, uint32_t(0x10 + 2 * v)) << "v " << v;
    EXPECT_EQ((x >> 16) & 0xff, uint32_t(0x00 + 2 * v + 1)) << "v " << v;
    EXPECT_EQ(x >> 24, uint32_t(0x10 + 2 * v + 1)) << "v " << v;
  }
}

}  // namespace
}  // namespace mladec::test
