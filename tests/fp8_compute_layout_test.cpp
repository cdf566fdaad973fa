// The fp8-compute form's byte placement (src/core/fp8_compute_layout.h, used
// by src/cuda/fp8_compute_producer.cuh and decode_math_fp8_compute.cuh)
// emulated on the CPU: the slot and latent orders are permutations that
// undo each other, the producer's transpose (its per-lane reads, prmt.b32 as
// the PTX ISA defines it, its writes) puts every latent value of every token
// where the Oᵀ wgmma reads it, the Pᵀ stores pair a thread's tokens, the row
// exchanges give each thread its rows, the Q scale is a power of two that
// takes a row into [128, 256). Then the banks of the transpose's reads.
#include "src/core/fp8_compute_layout.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include "mladec/constants.h"
#include "src/core/register_a_layout.h"

namespace mladec::test {
namespace {

using namespace detail;

// prmt.b32 d, a, b, c (default mode): byte i of d is byte (c >> 4i) & 7 of
// {b, a} (a's bytes are 0..3).
uint32_t prmt(uint32_t a, uint32_t b, uint32_t selector) {
  const uint64_t bytes = (uint64_t(b) << 32) | a;
  uint32_t d = 0;
  for (int i = 0; i < 4; ++i) {
    const uint32_t pick = (selector >> (4 * i)) & 0x7;
    d |= uint32_t((bytes >> (8 * pick)) & 0xff) << (8 * i);
  }
  return d;
}

TEST(Fp8ComputeLayout, SlotOrderIsAPermutationPairingAThreadsTokens) {
  std::set<int> tokens;
  for (int slot = 0; slot < 64; ++slot) {
    const int token = fp8_compute_slot_token(slot);
    tokens.insert(token);
    EXPECT_EQ(fp8_compute_token_slot(token), slot);
  }
  EXPECT_EQ(tokens.size(), 64u);
  // Sᵀ thread (warp w, lane row g) holds tokens 16 w + g and 16 w + g + 8:
  // slots 16 w + 2 g and the next, one 16-bit store.
  for (int w = 0; w < 4; ++w) {
    for (int g = 0; g < 8; ++g) {
      EXPECT_EQ(fp8_compute_slot_token(16 * w + 2 * g), 16 * w + g);
      EXPECT_EQ(fp8_compute_slot_token(16 * w + 2 * g + 1), 16 * w + g + 8);
    }
  }
}

TEST(Fp8ComputeLayout, OutputRowsAreThePermutationVtIsStoredIn) {
  std::set<int> latents;
  for (int m = 0; m < 2; ++m) {
    for (int t = 0; t < 4; ++t) {
      for (int row = 0; row < 64; ++row) {
        const int latent = fp8_compute_latent(m, t, row);
        latents.insert(latent);
        EXPECT_EQ(fp8_compute_vt_tile(latent), 4 * m + t);
        EXPECT_EQ(fp8_compute_vt_row(latent), row);
      }
    }
  }
  EXPECT_EQ(latents.size(), size_t(kLatentDim));
  // A thread's rows g, g + 8 of tiles 0..3 are eight consecutive latents.
  for (int m = 0; m < 2; ++m) {
    for (int w = 0; w < 4; ++w) {
      for (int g = 0; g < 8; ++g) {
        const int first = fp8_compute_latent(m, 0, 16 * w + g);
        EXPECT_EQ(first % 8, 0);
        for (int t = 0; t < 4; ++t) {
          EXPECT_EQ(fp8_compute_latent(m, t, 16 * w + g), first + 2 * t);
          EXPECT_EQ(fp8_compute_latent(m, t, 16 * w + g + 8), first + 2 * t + 1);
        }
      }
    }
  }
}

// Emulates transpose_v for all 128 producer threads on a staged block whose
// byte (token, latent) is distinct per pair (mod 256 over two planes).
TEST(Fp8ComputeLayout, TransposeWritesEveryLatentOfEverySlot) {
  for (int plane = 0; plane < 2; ++plane) {
    const auto value = [&](int token, int latent) {
      return uint8_t(plane ? (token * 7 + latent) : (latent * 3 + token * 131 + latent / 64));
    };
    std::vector<uint8_t> staged(kFp8ComputeSlabs * kFp8ComputeTileBytes, 0);
    for (int token = 0; token < 64; ++token) {
      for (int d = 0; d < kHeadDim; ++d) {
        staged[staged_offset(token, d / 16) + d % 16] = value(token, d);
      }
    }
    std::vector<int> vt(kFp8ComputeVtBytes, -1);
    const auto read_word = [&](int offset) {
      uint32_t w = 0;
      for (int i = 0; i < 4; ++i) w |= uint32_t(staged[offset + i]) << (8 * i);
      return w;
    };
    for (int warp = 0; warp < 4; ++warp) {
      for (int lane = 0; lane < 32; ++lane) {
        for (int s = 0; s < 2; ++s) {
          const int slab = warp + 4 * s;
          for (int half = 0; half < 2; ++half) {
            uint32_t out[8][2];
            for (int kk = 0; kk < 2; ++kk) {
              const int k = 2 * half + kk;
              uint32_t read[4][2];
              for (int j = 0; j < 4; ++j) {
                const int offset = fp8_compute_transpose_read_offset(lane, slab, k, j);
                // The offset is the read token's latents 64 slab + 8 b ..
                const int token = fp8_compute_transpose_token(lane, k, j);
                ASSERT_EQ(offset, staged_offset(token, 4 * slab + (lane % 8) / 2) + 8 * (lane % 2));
                read[j][0] = read_word(offset);
                read[j][1] = read_word(offset + 4);
              }
              for (int part = 0; part < 2; ++part) {
                const uint32_t low01 = prmt(read[0][part], read[1][part], 0x5140u);
                const uint32_t high01 = prmt(read[0][part], read[1][part], 0x7362u);
                const uint32_t low23 = prmt(read[2][part], read[3][part], 0x5140u);
                const uint32_t high23 = prmt(read[2][part], read[3][part], 0x7362u);
                out[4 * part + 0][kk] = prmt(low01, low23, fp8_compute_transpose_low(lane));
                out[4 * part + 1][kk] = prmt(low01, low23, fp8_compute_transpose_high(lane));
                out[4 * part + 2][kk] = prmt(high01, high23, fp8_compute_transpose_low(lane));
                out[4 * part + 3][kk] = prmt(high01, high23, fp8_compute_transpose_high(lane));
              }
            }
            for (int e = 0; e < 8; ++e) {
              const int offset = fp8_compute_transpose_write_base(warp, lane) +
                                 fp8_compute_transpose_write_step(s, e, half);
              const int latent = 64 * slab + 8 * (lane % 8) + e;
              ASSERT_EQ(offset, fp8_compute_vt_offset(latent, 16 * (lane / 8) + 8 * half));
              for (int i = 0; i < 8; ++i) {
                ASSERT_EQ(vt[offset + i], -1) << "written twice";
                vt[offset + i] = int((out[e][i / 4] >> (8 * (i % 4))) & 0xff);
              }
            }
          }
        }
      }
    }
    for (int latent = 0; latent < kLatentDim; ++latent) {
      for (int slot = 0; slot < 64; ++slot) {
        ASSERT_EQ(vt[fp8_compute_vt_offset(latent, slot)],
                  int(value(fp8_compute_slot_token(slot), latent)))
            << "latent " << latent << " slot " << slot;
      }
    }
  }
}

// Wavefronts of one warp-wide shared-memory access: per bank, the distinct
// 4-byte words the lanes touch.
int wavefronts(const std::vector<int>& byte_offsets, int bytes_per_lane) {
  std::map<int, std::set<int>> words_of_bank;
  for (int offset : byte_offsets) {
    for (int b = 0; b < bytes_per_lane; b += 4) {
      const int word = (offset + b) / 4;
      words_of_bank[word % 32].insert(word);
    }
  }
  size_t most = 0;
  for (const auto& [bank, words] : words_of_bank) most = std::max(most, words.size());
  return int(most);
}

TEST(Fp8ComputeLayout, TransposeReadsTakeTwoWavefronts) {
  for (int warp = 0; warp < 4; ++warp) {
    for (int s = 0; s < 2; ++s) {
      for (int k = 0; k < 4; ++k) {
        for (int j = 0; j < 4; ++j) {
          std::vector<int> offsets;
          for (int lane = 0; lane < 32; ++lane) {
            offsets.push_back(fp8_compute_transpose_read_offset(lane, warp + 4 * s, k, j));
          }
          EXPECT_EQ(wavefronts(offsets, 8), 2) << "k " << k << " j " << j;  // 256 bytes
        }
      }
    }
  }
}

TEST(Fp8ComputeLayout, RowExchangeGivesEachThreadItsRows) {
  std::set<int> indices;
  for (int row = 0; row < 64; ++row) indices.insert(fp8_compute_row_index(row));
  EXPECT_EQ(indices.size(), 64u);
  EXPECT_EQ(*indices.rbegin(), 63);
  // Oᵀ column n = 2 i + e of lane column c is query row 8 i + 2 c + e, read at 16 c + n.
  for (int c = 0; c < 4; ++c) {
    for (int n = 0; n < 16; ++n) {
      EXPECT_EQ(fp8_compute_row_index(8 * (n / 2) + 2 * c + n % 2), 16 * c + n);
    }
  }
}

TEST(Fp8ComputeLayout, QueryScaleIsAPowerOfTwoIntoItsRange) {
  for (float largest : {1e-30f, 3e-5f, 0.07f, 1.f, 1.5f, 127.9f, 128.f, 255.f, 448.f, 3e4f, 1e30f,
                        3e38f}) {
    const int shift = fp8_compute_q_shift(largest);
    const float scaled = largest * fp8_compute_power_of_two(shift);
    EXPECT_GE(scaled, 128.f) << largest;
    EXPECT_LT(scaled, 256.f) << largest;
    EXPECT_EQ(fp8_compute_power_of_two(shift) * fp8_compute_power_of_two(-shift), 1.f);
  }
  // The smallest normal floats: the clamp keeps both powers finite.
  const int tiny = fp8_compute_q_shift(1.2e-38f);
  EXPECT_EQ(tiny, 126);
  EXPECT_GT(fp8_compute_power_of_two(-tiny), 0.f);
  EXPECT_EQ(fp8_compute_q_shift(0.f), 0);
  EXPECT_EQ(fp8_compute_q_shift(std::nanf("")), 0);
}

}  // namespace
}  // namespace mladec::test
