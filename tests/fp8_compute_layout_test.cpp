// The fp8-compute form's byte placement (src/core/fp8_compute_layout.h, used
// by src/cuda/fp8_compute_producer.cuh and decode_math_fp8_compute.cuh)
// emulated on the CPU: the slot and latent orders are permutations, a
// thread's S values are its P·V A fragment in slot order, the producer's
// transpose (its per-lane reads, prmt.b32 as the PTX ISA defines it, its
// writes) puts every latent value of every token where the wgmma reads it,
// and P·V through fragments and Vᵀ equals the plain sum; the Q scale is a
// power of two that takes a row into [128, 256). Then the banks of the
// transpose's reads.
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

TEST(Fp8ComputeLayout, SlotAndLatentOrdersArePermutations) {
  std::set<int> tokens;
  for (int slot = 0; slot < 64; ++slot) {
    const int token = fp8_compute_slot_token(slot);
    tokens.insert(token);
    EXPECT_EQ(fp8_compute_token_slot(token), slot);
  }
  EXPECT_EQ(tokens.size(), 64u);
  std::set<int> latents;
  for (int m = 0; m < 2; ++m) {
    for (int column = 0; column < 256; ++column) {
      const int latent = fp8_compute_latent(m, column);
      latents.insert(latent);
      EXPECT_EQ(fp8_compute_vt_row(latent), 256 * m + column);
    }
  }
  EXPECT_EQ(latents.size(), size_t(kLatentDim));
  // A thread's columns 8 n + 2 c + e of a row: runs of eight consecutive
  // latent values over n % 8.
  for (int m = 0; m < 2; ++m) {
    for (int c = 0; c < 4; ++c) {
      for (int n0 = 0; n0 < 32; n0 += 8) {
        for (int e = 0; e < 2; ++e) {
          const int first = fp8_compute_latent(m, 8 * n0 + 2 * c + e);
          EXPECT_EQ(first % 8, 0);
          for (int n = 0; n < 8; ++n) {
            EXPECT_EQ(fp8_compute_latent(m, 8 * (n0 + n) + 2 * c + e), first + n);
          }
        }
      }
    }
  }
}

// The P fragments: byte `byte` of A register `reg` of k-step kk, by the
// wgmma 8-bit A layout (register i: row g + 8 (i % 2), k 4 c + 16 (i / 2) +
// byte), is the S element of the token that slot holds.
TEST(Fp8ComputeLayout, ScoreFragmentsAreTheAOperandInSlotOrder) {
  for (int c = 0; c < 4; ++c) {
    for (int kk = 0; kk < 2; ++kk) {
      for (int reg = 0; reg < 4; ++reg) {
        for (int byte = 0; byte < 4; ++byte) {
          const int element = fp8_compute_p_element(kk, reg, byte);
          const int slot = 32 * kk + 4 * c + 16 * (reg / 2) + byte;
          // S element 4 n + x: row offset 8 (x / 2), token 8 n + 2 c + x % 2.
          EXPECT_EQ(8 * ((element % 4) / 2), 8 * (reg % 2));
          EXPECT_EQ(8 * (element / 4) + 2 * c + element % 2, fp8_compute_slot_token(slot));
        }
      }
    }
  }
}

// Emulates transpose_v for every lane and unit on a staged block whose byte
// (token, latent) is distinct per pair (mod 256, over two planes), then the
// wgmma products O = P·V through the fragments and Vᵀ: they must equal the
// plain sums over tokens.
TEST(Fp8ComputeLayout, TransposeAndFragmentsMultiplyToPV) {
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
    for (int lane = 0; lane < 32; ++lane) {
      for (int slab = 0; slab < kLatentDim / 64; ++slab) {
        for (int unit_half = 0; unit_half < 2; ++unit_half) {
          const int half = fp8_compute_transpose_half(lane, unit_half);
          uint32_t out[8][2];
          for (int kk = 0; kk < 2; ++kk) {
            const int k = 2 * half + kk;
            uint32_t read[4][2];
            for (int j = 0; j < 4; ++j) {
              const int offset = fp8_compute_transpose_read_offset(lane, slab, k, j);
              const int token = fp8_compute_transpose_token(lane, k, j);
              ASSERT_EQ(offset,
                        staged_offset(token, 4 * slab + (lane % 8) / 2) + 8 * (lane % 2));
              read[j][0] = read_word(offset);
              read[j][1] = read_word(offset + 4);
            }
            for (int part = 0; part < 2; ++part) {
              const uint32_t low01 =
                  prmt(read[0][part], read[1][part], fp8_compute_transpose_low(lane));
              const uint32_t high01 =
                  prmt(read[0][part], read[1][part], fp8_compute_transpose_high(lane));
              const uint32_t low23 =
                  prmt(read[2][part], read[3][part], fp8_compute_transpose_low(lane));
              const uint32_t high23 =
                  prmt(read[2][part], read[3][part], fp8_compute_transpose_high(lane));
              out[4 * part + 0][kk] = prmt(low01, low23, 0x5410u);
              out[4 * part + 1][kk] = prmt(low01, low23, 0x7632u);
              out[4 * part + 2][kk] = prmt(high01, high23, 0x5410u);
              out[4 * part + 3][kk] = prmt(high01, high23, 0x7632u);
            }
          }
          for (int e = 0; e < 8; ++e) {
            const int offset = fp8_compute_transpose_write_base(slab, lane) +
                               fp8_compute_transpose_write_step(e, half);
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
    for (int latent = 0; latent < kLatentDim; ++latent) {
      for (int slot = 0; slot < 64; ++slot) {
        ASSERT_EQ(vt[fp8_compute_vt_offset(latent, slot)],
                  int(value(fp8_compute_slot_token(slot), latent)))
            << "latent " << latent << " slot " << slot;
      }
    }
    // O[row][column] = Σ_k A[row][k] · B[k][column] for warp 0's rows, B[k][n]
    // = Vᵀ row 256 m + n, slot k; A from each thread's fragments, filled from
    // S elements s(row, token) = row * 64 + token (exact in double).
    for (int m = 0; m < 2; ++m) {
      for (int g = 0; g < 8; ++g) {
        for (int h = 0; h < 2; ++h) {
          const int row = g + 8 * h;
          for (int column = 0; column < 256; column += 37) {
            double wgmma = 0, plain = 0;
            for (int kk = 0; kk < 2; ++kk) {
              for (int c = 0; c < 4; ++c) {
                for (int reg = h; reg < 4; reg += 2) {
                  for (int byte = 0; byte < 4; ++byte) {
                    const int element = fp8_compute_p_element(kk, reg, byte);
                    const int token = 8 * (element / 4) + 2 * c + element % 2;
                    const int slot = 32 * kk + 16 * (reg / 2) + 4 * c + byte;
                    const int b = vt[sw64_offset(256 * m + column, slot)];
                    wgmma += double(row * 64 + token) * b;
                  }
                }
              }
            }
            for (int token = 0; token < 64; ++token) {
              plain += double(row * 64 + token) * value(token, fp8_compute_latent(m, column));
            }
            ASSERT_EQ(wgmma, plain) << "m " << m << " row " << row << " column " << column;
          }
        }
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

// Each lane's k-step of a read: k = 2 · its half + kk (transpose_v).
TEST(Fp8ComputeLayout, TransposeReadsTakeTwoWavefronts) {
  for (int slab = 0; slab < kLatentDim / 64; ++slab) {
    for (int unit_half = 0; unit_half < 2; ++unit_half) {
      for (int kk = 0; kk < 2; ++kk) {
        for (int j = 0; j < 4; ++j) {
          std::vector<int> offsets;
          for (int lane = 0; lane < 32; ++lane) {
            const int k = 2 * fp8_compute_transpose_half(lane, unit_half) + kk;
            offsets.push_back(fp8_compute_transpose_read_offset(lane, slab, k, j));
          }
          EXPECT_EQ(wavefronts(offsets, 8), 2)  // 256 bytes
              << "slab " << slab << " half " << unit_half << " kk " << kk << " j " << j;
        }
      }
    }
  }
}

// The eight 8-byte stores of a unit: 256 bytes each, so two wavefronts.
// With one half for every lane (fp8_compute_transpose_half's lanes not
// flipped) they took four, which Nsight counted (bench/NOTES.md v76).
TEST(Fp8ComputeLayout, TransposeWritesTakeTwoWavefronts) {
  for (int slab = 0; slab < kLatentDim / 64; ++slab) {
    for (int unit_half = 0; unit_half < 2; ++unit_half) {
      for (int e = 0; e < 8; ++e) {
        std::vector<int> offsets, unflipped;
        for (int lane = 0; lane < 32; ++lane) {
          offsets.push_back(fp8_compute_transpose_write_base(slab, lane) +
                            fp8_compute_transpose_write_step(
                                e, fp8_compute_transpose_half(lane, unit_half)));
          unflipped.push_back(fp8_compute_transpose_write_base(slab, lane) +
                              fp8_compute_transpose_write_step(e, unit_half));
        }
        EXPECT_EQ(wavefronts(offsets, 8), 2) << "slab " << slab << " e " << e;
        EXPECT_EQ(wavefronts(unflipped, 8), 4) << "the conflict the flip removes";
      }
    }
  }
}

// The publication's 16-byte stores and loads of P's fragments (one per
// k-step): 512 bytes a warp, so four wavefronts, and every thread's two
// chunks distinct and inside the buffer.
TEST(Fp8ComputeLayout, PublicationAccessesTakeFourWavefronts) {
  std::set<int> chunks;
  for (int kk = 0; kk < 2; ++kk) {
    for (int warp = 0; warp < 4; ++warp) {
      std::vector<int> offsets;
      for (int lane = 0; lane < 32; ++lane) {
        const int offset = fp8_compute_p_offset(32 * warp + lane, kk);
        offsets.push_back(offset);
        EXPECT_TRUE(chunks.insert(offset).second) << "two fragments in one chunk";
        EXPECT_LE(offset + 16, kFp8ComputePBytes);
      }
      EXPECT_EQ(wavefronts(offsets, 16), 4) << "kk " << kk << " warp " << warp;
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
