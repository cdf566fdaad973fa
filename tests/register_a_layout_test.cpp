// The e4m3 register-A path's byte placement (src/core/register_a_layout.h,
// used by src/cuda/fp8_register_a.cuh and the producer's staging) emulated
// on the CPU: a staged block is built with staged_offset, each thread's wgmma
// A fragments are gathered the way the kernel gathers them (16-byte chunk
// loads, prmt.b32 as the PTX ISA defines it) and multiplied by B as wgmma
// would, and the products must equal the plain dot products — Sᵀ = K·Qᵀ
// with Q stored permuted, Oᵀ = Vᵀ·Pᵀ with Pᵀ stored in output_slot order and
// the rows read back through output_latent. Then the banks: every 16-byte
// read pattern of the path is conflict-free (a quarter warp per wavefront).
// Last the blockwise stage (branch next/blockwise-register-a, no kernel
// uses it yet): its regions, the RoPE part's bf16 fragments and their
// banks.
#include "src/core/register_a_layout.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <set>
#include <vector>

#include "mladec/constants.h"
#include "src/core/kv_token_codec.h"

namespace mladec::test {
namespace {

using namespace detail;

constexpr int kTokens = 64;
constexpr int kChunks = kHeadDim / 16;  // 36 per token row

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

// A staged block: byte values stand for the e4m3 values (small integers
// keep every product exact).
struct StagedBlock {
  std::vector<uint8_t> token_bytes;  // [token][dimension], as in the cache
  std::vector<uint8_t> stage;        // what the producer's copies leave

  StagedBlock() : token_bytes(kTokens * kHeadDim), stage(kChunks / 4 * kRegisterAStageSlabBytes) {
    std::mt19937 random(7);
    for (auto& b : token_bytes) b = uint8_t(random() % 16);
    for (int t = 0; t < kTokens; ++t) {
      for (int k = 0; k < kChunks; ++k) {
        for (int i = 0; i < 16; ++i) {
          stage[staged_offset(t, k) + i] =
              token_bytes[t * kHeadDim + 16 * k + i];
        }
      }
    }
  }
  // Word w (0..3) of token t's chunk k, read where the math reads it.
  uint32_t word(int t, int k, int w) const {
    const uint8_t* p = &stage[staged_offset(t, k) + 4 * w];
    return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
  }
};

// The two values (low, high byte) of a 16-bit half as the fragment's pair.
int low_value(uint32_t half) { return int(half & 0xff); }
int high_value(uint32_t half) { return int((half >> 8) & 0xff); }

TEST(RegisterALayout, StagedBlockIsTheTmaSwizzledSlabLayout) {
  // Every chunk of every token at its own place inside the 36 KB stage...
  std::set<int> offsets;
  for (int t = 0; t < kTokens; ++t) {
    for (int k = 0; k < kChunks; ++k) {
      const int offset = staged_offset(t, k);
      EXPECT_EQ(offset % 16, 0);
      EXPECT_LT(offset, kChunks / 4 * kRegisterAStageSlabBytes);
      offsets.insert(offset);
    }
  }
  EXPECT_EQ(int(offsets.size()), kTokens * kChunks);
  // ... where a TMA box of 64 bytes × 64 tokens per slab, written with the
  // 64-byte swizzle (address bits 7-8 XORed into bits 4-5) from a
  // 512-byte-aligned base, puts it.
  for (int t = 0; t < kTokens; ++t) {
    for (int k = 0; k < kChunks; ++k) {
      const int linear = (k / 4) * kRegisterAStageSlabBytes + t * 64 + 16 * (k % 4);
      EXPECT_EQ(staged_offset(t, k), linear ^ (((linear >> 7) & 3) << 4)) << t << " " << k;
    }
  }
}

TEST(RegisterALayout, ScoresFromRegisterFragmentsEqualTheDotProducts) {
  const StagedBlock block;
  // 16 query rows of small integers and their permuted storage: word dw of
  // a slab row holds the pair at word q_source_word(dw).
  std::mt19937 random(11);
  std::vector<int> q(16 * kHeadDim), q_stored(16 * kHeadDim);
  for (auto& v : q) v = int(random() % 9) - 4;
  for (int n = 0; n < 16; ++n) {
    for (int slab = 0; slab < kHeadDim / 64; ++slab) {
      for (int dw = 0; dw < 32; ++dw) {
        for (int i = 0; i < 2; ++i) {
          q_stored[n * kHeadDim + 64 * slab + 2 * dw + i] =
              q[n * kHeadDim + 64 * slab + 2 * q_source_word(dw) + i];
        }
      }
    }
  }
  // Sᵀ[token][n] accumulated k-step by k-step from the fragments: B row x
  // of k-step (slab, j) is stored position 64 slab + 16 j + x.
  std::vector<long> scores(kTokens * 16, 0);
  for (int warp = 0; warp < 4; ++warp) {
    for (int lane = 0; lane < 32; ++lane) {
      const int g = lane / 4, c = lane % 4;
      const int rows[2] = {16 * warp + g, 16 * warp + g + 8};
      for (int slab = 0; slab < kHeadDim / 64; ++slab) {
        for (int j = 0; j < 4; ++j) {
          for (int r = 0; r < 2; ++r) {
            const uint32_t w = block.word(rows[r], 4 * slab + c, j);
            // Registers r (columns 2c, 2c + 1) and 2 + r (columns 2c + 8, + 9).
            const int columns[4] = {2 * c, 2 * c + 1, 2 * c + 8, 2 * c + 9};
            const int values[4] = {low_value(w), high_value(w), low_value(w >> 16),
                                   high_value(w >> 16)};
            for (int x = 0; x < 4; ++x) {
              for (int n = 0; n < 16; ++n) {
                scores[rows[r] * 16 + n] +=
                    long(values[x]) * q_stored[n * kHeadDim + 64 * slab + 16 * j + columns[x]];
              }
            }
          }
        }
      }
    }
  }
  for (int t = 0; t < kTokens; ++t) {
    for (int n = 0; n < 16; ++n) {
      long expected = 0;
      for (int d = 0; d < kHeadDim; ++d) {
        expected += long(block.token_bytes[t * kHeadDim + d]) * q[n * kHeadDim + d];
      }
      ASSERT_EQ(scores[t * 16 + n], expected) << "token " << t << " query row " << n;
    }
  }
  // q_dimension names the same placement.
  for (int j = 0; j < 4; ++j) {
    for (int x = 0; x < 16; ++x) {
      const int stored_word = (16 * j + x) / 2;
      EXPECT_EQ(2 * q_source_word(stored_word) + x % 2, q_dimension(j, x));
    }
  }
}

// Q's conversion reads source word 8 c + p of a row in a 128-byte-swizzled
// slab (chunk k of row r at 16 (k ^ (r % 8))) at base + 32 (c ^ rotation).
TEST(RegisterALayout, QConversionReadsAreOneBasePlusRotatedImmediates) {
  for (int row = 0; row < 64; ++row) {
    for (int p = 0; p < 8; ++p) {
      for (int c = 0; c < 4; ++c) {
        const int word = q_source_word(4 * p + c);
        const int swizzled = row * 128 + 16 * ((word / 4) ^ (row % 8)) + 4 * (word % 4);
        EXPECT_EQ(q_source_base(row, p) + 32 * (c ^ q_source_rotation(row)), swizzled)
            << "row " << row << " p " << p << " c " << c;
      }
    }
  }
}

// Pᵀ stores: one base per thread plus immediates, the swizzled place of
// (query row, output_slot(token)) for every thread's eight elements.
TEST(RegisterALayout, TransposedPStoresAreOneBasePlusImmediates) {
  for (int warp = 0; warp < 4; ++warp) {
    for (int lane = 0; lane < 32; ++lane) {
      for (int q = 0; q < 4; ++q) {
        for (int h = 0; h < 2; ++h) {
          const int row = 8 * (q / 2) + 2 * (lane % 4) + q % 2;
          const int slot = output_slot(16 * warp + lane / 4 + 8 * h);
          const int swizzled = row * 128 + 16 * ((slot / 8) ^ (row % 8)) + 2 * (slot % 8);
          EXPECT_EQ(transposed_p_store_base(warp, lane) + transposed_p_store_step(q, h), swizzled)
              << "warp " << warp << " lane " << lane << " q " << q << " h " << h;
        }
      }
    }
  }
}

// Blockwise Oᵀ reads: one offset per token column, immediates for the
// k-step and the group, the same bytes as the token's chunk and word.
TEST(RegisterALayout, BlockwiseOutputReadsAreFourOffsetsPlusImmediates) {
  for (int warp = 0; warp < 4; ++warp) {
    for (int g = 0; g < 8; ++g) {
      for (int column = 0; column < 16; ++column) {
        for (int kk = 0; kk < kTokens / 16; ++kk) {
          for (int group = 0; group < kBlockwiseScales; ++group) {
            const int token = output_token(kk, column);
            EXPECT_EQ(blockwise_output_offset(warp, g, column) + kk * kBlockwiseOutputStepBytes +
                          group * kBlockwiseOutputGroupBytes,
                      staged_offset(token, blockwise_output_chunk(warp, g, group)) + 4 * (g & 3))
                << "warp " << warp << " g " << g << " column " << column << " kk " << kk
                << " group " << group;
          }
        }
      }
    }
  }
}

// Where a form's lane row g of warp w (in pass m) reads each token —
// chunk and first word — and which latent value tile t, row g + 8 · half
// of it holds.
struct OutputForm {
  int passes;  // passes over the latent values (a thread's tiles each)
  int tiles;       // accumulator tiles per thread
  int (*chunk)(int m, int warp, int g, int tile);
  int (*word)(int g, int tile);  // in the chunk
  int (*latent)(int m, int warp, int g, int tile, int half);
};

// Oᵀ = Vᵀ·Pᵀ emulated through a form's fragments must equal the plain
// product, every latent value written by exactly one row of one thread.
void expect_output_equals_p_times_v(const OutputForm& form, int seed) {
  const StagedBlock block;
  std::mt19937 random(seed);
  std::vector<int> p(16 * kTokens), p_stored(16 * kTokens);  // [n][token], [n][slot]
  for (auto& v : p) v = int(random() % 7) - 3;
  for (int token = 0; token < kTokens; ++token) {
    for (int n = 0; n < 16; ++n) {
      p_stored[n * kTokens + output_slot(token)] = p[n * kTokens + token];
    }
  }
  std::vector<long> out(kLatentDim * 16, 0);
  std::vector<int> written(kLatentDim, 0);
  for (int m = 0; m < form.passes; ++m) {
    for (int warp = 0; warp < 4; ++warp) {
      for (int lane = 0; lane < 32; ++lane) {
        const int g = lane / 4, c = lane % 4;
        for (int tile = 0; tile < form.tiles && c == 0; ++tile) {  // a row's four lanes share it
          for (int half = 0; half < 2; ++half) ++written[form.latent(m, warp, g, tile, half)];
        }
        for (int kk = 0; kk < 4; ++kk) {
          const int columns[4] = {2 * c, 2 * c + 1, 2 * c + 8, 2 * c + 9};
          for (int tile = 0; tile < form.tiles; ++tile) {
            // Registers 0 / 1 from tokens of columns 2c, 2c + 1; 2 / 3 from + 8.
            for (int pair = 0; pair < 2; ++pair) {
              const int a = output_token(kk, columns[2 * pair]);
              const int b = output_token(kk, columns[2 * pair + 1]);
              const int chunk = form.chunk(m, warp, g, tile), w = form.word(g, tile);
              const uint32_t x = prmt(block.word(a, chunk, w), block.word(b, chunk, w),
                                      output_pick(tile));
              for (int half = 0; half < 2; ++half) {
                const uint32_t pair_bits = x >> (16 * half);  // row g + 8 · half
                const int d = form.latent(m, warp, g, tile, half);
                for (int n = 0; n < 16; ++n) {
                  out[d * 16 + n] +=
                      long(low_value(pair_bits)) *
                          p_stored[n * kTokens + 16 * kk + columns[2 * pair]] +
                      long(high_value(pair_bits)) *
                          p_stored[n * kTokens + 16 * kk + columns[2 * pair + 1]];
                }
              }
            }
          }
        }
      }
    }
  }
  for (int d = 0; d < kLatentDim; ++d) {
    ASSERT_EQ(written[d], 1) << "latent dimension " << d;
    for (int n = 0; n < 16; ++n) {
      long expected = 0;
      for (int t = 0; t < kTokens; ++t) {
        expected += long(block.token_bytes[t * kHeadDim + d]) * p[n * kTokens + t];
      }
      ASSERT_EQ(out[d * 16 + n], expected) << "dimension " << d << " query row " << n;
    }
  }
}

TEST(RegisterALayout, OutputSlotsInvertOutputTokens) {
  std::set<int> slots;
  for (int token = 0; token < kTokens; ++token) slots.insert(output_slot(token));
  EXPECT_EQ(int(slots.size()), kTokens);
  for (int kk = 0; kk < 4; ++kk) {
    for (int x = 0; x < 16; ++x) EXPECT_EQ(output_slot(output_token(kk, x)), 16 * kk + x);
  }
}

// 16 rows: all eight tiles in one pass, from one chunk per token.
const OutputForm kWholeChunks = {
    1, 8, [](int, int warp, int g, int) { return 4 * output_slab(warp, g) + output_chunk(g); },
    [](int, int tile) { return tile / 2; },
    [](int, int warp, int g, int tile, int half) { return output_latent(warp, g, tile, half); }};
// 32 rows: pass m's four tiles from half a chunk per token.
const OutputForm kHalfChunks = {
    2, 4,
    [](int m, int warp, int g, int) {
      return 4 * split_output_slab(m, warp) + split_output_chunk(g);
    },
    [](int g, int tile) { return 2 * split_output_half(g) + tile / 2; }, split_output_latent};
// Blockwise, 16 rows: group-pure tiles, one word per token and group.
const OutputForm kBlockwiseWords = {
    1, 8, [](int, int warp, int g, int tile) { return blockwise_output_chunk(warp, g, tile / 2); },
    [](int g, int) { return g & 3; },
    [](int, int warp, int g, int tile, int half) {
      return blockwise_output_latent(warp, g, tile, half);
    }};

TEST(RegisterALayout, OutputFromRegisterFragmentsEqualsPTimesV) {
  expect_output_equals_p_times_v(kWholeChunks, 13);
}

TEST(RegisterALayout, SplitOutputFromRegisterFragmentsEqualsPTimesV) {
  expect_output_equals_p_times_v(kHalfChunks, 17);
}

TEST(RegisterALayout, BlockwiseOutputFromRegisterFragmentsEqualsPTimesV) {
  expect_output_equals_p_times_v(kBlockwiseWords, 19);
}

// Group-pure: tile t's 64 rows (over the warps and lane rows) are latent
// values of group t / 2 only.
TEST(RegisterALayout, BlockwiseOutputTilesAreGroupPure) {
  for (int tile = 0; tile < 8; ++tile) {
    for (int warp = 0; warp < 4; ++warp) {
      for (int g = 0; g < 8; ++g) {
        for (int half = 0; half < 2; ++half) {
          EXPECT_EQ(blockwise_output_latent(warp, g, tile, half) / 128, tile / 2);
        }
      }
    }
  }
}

// Shared loads of `bytes` (8 or 16) per lane go 128 / bytes lanes per
// wavefront (a half or a quarter warp): those lanes must cover as many
// different groups of bytes / 4 banks.
void expect_conflict_free(const std::vector<int>& byte_offsets, int bytes, const char* what) {
  ASSERT_EQ(byte_offsets.size(), 32u);
  const int lanes = 128 / bytes;
  for (int first = 0; first < 32; first += lanes) {
    std::set<int> groups;
    for (int lane = first; lane < first + lanes; ++lane) {
      EXPECT_EQ(byte_offsets[lane] % bytes, 0) << what;
      groups.insert((byte_offsets[lane] / bytes) % lanes);
    }
    EXPECT_EQ(int(groups.size()), lanes) << what << ", lanes from " << first;
  }
}

// Where the lanes of warp `warp` (in pass m) read the tokens of
// column `column` (of 2c, 2c + 1, 2c + 8, 2c + 9) of k-step kk, in a form.
std::vector<int> v_read_offsets(const OutputForm& form, int m, int warp, int kk, int column,
                                int tile = 0) {
  std::vector<int> offsets;
  for (int lane = 0; lane < 32; ++lane) {
    const int g = lane / 4, c = lane % 4;
    const int token = output_token(kk, 2 * c + column % 2 + 8 * (column / 2));
    offsets.push_back(staged_offset(token, form.chunk(m, warp, g, tile)) +
                      4 * form.word(g, tile));
  }
  return offsets;
}

TEST(RegisterALayout, ChunkReadsAreConflictFree) {
  for (int warp = 0; warp < 4; ++warp) {
    for (int slab = 0; slab < kHeadDim / 64; ++slab) {
      for (int upper = 0; upper < 2; ++upper) {
        std::vector<int> offsets;
        for (int lane = 0; lane < 32; ++lane) {
          const int token = 16 * warp + lane / 4 + 8 * upper;
          offsets.push_back(staged_offset(token, 4 * slab + lane % 4));
        }
        expect_conflict_free(offsets, 16, "K chunk reads");
      }
    }
    for (int kk = 0; kk < 4; ++kk) {
      for (int column = 0; column < 4; ++column) {
        expect_conflict_free(v_read_offsets(kWholeChunks, 0, warp, kk, column), 16,
                             "V chunk reads (16 rows)");
        for (int m = 0; m < 2; ++m) {
          expect_conflict_free(v_read_offsets(kHalfChunks, m, warp, kk, column), 8,
                               "V half-chunk reads (32 rows)");
        }
        for (int group = 0; group < 4; ++group) {
          expect_conflict_free(v_read_offsets(kBlockwiseWords, 0, warp, kk, column, 2 * group),
                               4, "V word reads (blockwise)");
        }
      }
    }
  }
}

}  // namespace
}  // namespace mladec::test

namespace mladec::test {
namespace {

using namespace detail;

// Blockwise stage: the latent slabs, the scales and the RoPE values each
// in their own bytes, inside the stage.
TEST(RegisterALayout, BlockwiseStageRegionsDoNotOverlap) {
  std::vector<int> owner(kBlockwiseStageBytes, 0);
  for (int t = 0; t < 64; ++t) {
    for (int k = 0; k < 32; ++k) {
      for (int i = 0; i < 16; ++i) ++owner[staged_offset(t, k) + i];
    }
    for (int i = 0; i < 16; ++i) ++owner[kBlockwiseStageScales + 16 * t + i];
    for (int k = 0; k < 8; ++k) {
      for (int i = 0; i < 16; ++i) ++owner[blockwise_rope_offset(t, k) + i];
    }
  }
  for (int b = 0; b < kBlockwiseStageBytes; ++b) EXPECT_EQ(owner[b], 1) << b;
}

// Sᵀ's RoPE part through the bf16 A fragments equals the plain products
// (values as small integers; a 16-bit word per value).
// Every byte of a staged blockwise block written by exactly one source
// byte, and each part where its readers look: a token's latent value d at
// staged_offset's place, its scales in one 16-byte run, its RoPE value d
// where the fragments read it.
TEST(RegisterALayout, BlockwiseStagingCoversTheBlockOnce) {
  std::vector<int> writes(kBlockwiseStageBytes, 0);
  std::vector<int> source_of(kBlockwiseStageBytes, -1);  // token * 656 + byte
  for (int t = 0; t < 64; ++t) {
    for (int c = 0; c < kBlockwiseTokenChunks; ++c) {
      for (int i = 0; i < 16; ++i) {
        const int at = blockwise_staged_offset(t, c) + i;
        ASSERT_GE(at, 0);
        ASSERT_LT(at, kBlockwiseStageBytes);
        ++writes[at];
        source_of[at] = t * kBlockwiseTokenBytes + 16 * c + i;
      }
    }
  }
  for (int b = 0; b < kBlockwiseStageBytes; ++b) ASSERT_EQ(writes[b], 1) << "byte " << b;
  for (int t = 0; t < 64; t += 7) {
    for (int d = 0; d < kLatentDim; d += 5) {
      EXPECT_EQ(source_of[staged_offset(t, d / 16) + d % 16], t * kBlockwiseTokenBytes + d);
    }
    for (int i = 0; i < 16; ++i) {
      EXPECT_EQ(source_of[kBlockwiseStageScales + 16 * t + i],
                t * kBlockwiseTokenBytes + kBlockwiseScalesOffset + i);
    }
    for (int d = 0; d < kRopeDim; ++d) {
      EXPECT_EQ(source_of[blockwise_rope_offset(t, d / 8) + 2 * (d % 8)],
                t * kBlockwiseTokenBytes + kBlockwiseRopeOffset + 2 * d);
    }
  }
}

// The TMA path stages blockwise RoPE values with a box of 128 bytes × the
// tokens, 128-byte swizzle (address bits 7-9 XORed into bits 4-6) from a
// 1024-byte-aligned base — the layout blockwise_rope_offset describes — and
// the scales unswizzled, 16 bytes per token.
TEST(RegisterALayout, BlockwiseRopeAndScalesAreTheTmaLayouts) {
  static_assert(kBlockwiseStageRope % 1024 == 0 && kBlockwiseStageBytes % 1024 == 0);
  for (int t = 0; t < 64; ++t) {
    for (int k = 0; k < 8; ++k) {
      const int linear = 128 * t + 16 * k;
      EXPECT_EQ(blockwise_rope_offset(t, k) - kBlockwiseStageRope,
                linear ^ (((linear >> 7) & 7) << 4))
          << t << " " << k;
    }
    EXPECT_EQ(blockwise_staged_offset(t, 32), kBlockwiseStageScales + 16 * t);
  }
}

TEST(RegisterALayout, RopeScoresFromRegisterFragmentsEqualTheDotProducts) {
  std::mt19937 random(17);
  std::vector<int> rope(64 * kRopeDim), q(16 * kRopeDim);
  for (auto& v : rope) v = int(random() % 9) - 4;
  for (auto& v : q) v = int(random() % 9) - 4;
  // The stage's RoPE bytes, as 16-bit values.
  std::vector<int> stage(kBlockwiseStageBytes / 2, 0);
  for (int t = 0; t < 64; ++t) {
    for (int d = 0; d < kRopeDim; ++d) {
      stage[(blockwise_rope_offset(t, d / 8) + 2 * (d % 8)) / 2] = rope[t * kRopeDim + d];
    }
  }
  std::vector<long> scores(64 * 16, 0);
  for (int warp = 0; warp < 4; ++warp) {
    for (int lane = 0; lane < 32; ++lane) {
      const int g = lane / 4, c = lane % 4;
      for (int kk = 0; kk < kRopeDim / 16; ++kk) {
        for (int reg = 0; reg < 4; ++reg) {
          const int t = 16 * warp + g + rope_fragment_row_offset(reg);
          const int word = (blockwise_rope_offset(t, rope_fragment_chunk(kk, reg)) + 4 * c) / 2;
          // Columns 2c, 2c + 1 (registers 0, 1) or 2c + 8, 2c + 9 (2, 3).
          const int column = 2 * c + 8 * (reg / 2);
          for (int x = 0; x < 2; ++x) {
            for (int n = 0; n < 16; ++n) {
              scores[t * 16 + n] += long(stage[word + x]) * q[n * kRopeDim + 16 * kk + column + x];
            }
          }
        }
      }
    }
  }
  for (int t = 0; t < 64; ++t) {
    for (int n = 0; n < 16; ++n) {
      long expected = 0;
      for (int d = 0; d < kRopeDim; ++d) expected += long(rope[t * kRopeDim + d]) * q[n * kRopeDim + d];
      EXPECT_EQ(scores[t * 16 + n], expected) << "token " << t << " row " << n;
    }
  }
}

// A warp's 4-byte RoPE fragment reads hit 32 distinct banks.
TEST(RegisterALayout, RopeFragmentReadsAreConflictFree) {
  for (int warp = 0; warp < 4; ++warp) {
    for (int kk = 0; kk < kRopeDim / 16; ++kk) {
      for (int reg = 0; reg < 4; ++reg) {
        std::set<int> banks;
        for (int lane = 0; lane < 32; ++lane) {
          const int g = lane / 4, c = lane % 4;
          const int t = 16 * warp + g + rope_fragment_row_offset(reg);
          banks.insert(((blockwise_rope_offset(t, rope_fragment_chunk(kk, reg)) + 4 * c) / 4) % 32);
        }
        EXPECT_EQ(int(banks.size()), 32) << "warp " << warp << " k-step " << kk << " register " << reg;
      }
    }
  }
}

}  // namespace
}  // namespace mladec::test
