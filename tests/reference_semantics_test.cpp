// The float64 reference means what DESIGN §2 says: no visible key gives
// out = 0 and lse = -inf; causal MTP token t of s_q sees exactly positions
// j <= L - s_q + t; non-causal sees all; NaN-poisoned unused KV slots never
// reach a result; the math (scale, softmax, natural-log LSE, dequantization)
// matches an independent recomputation.
#include <gtest/gtest.h>

#include "mladec/compare.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "mladec/config.h"
#include "mladec/constants.h"
#include "mladec/random_inputs.h"
#include "mladec/reference.h"
#include "src/core/numeric_formats.h"
#include "tests/support/error_match.h"
#include "tests/support/output_match.h"
#include "tests/support/step_tokens.h"

namespace mladec::test {
namespace {

constexpr KvDtype kDtypes[] = {KvDtype::kBf16, KvDtype::kFp8E4m3,
                               KvDtype::kFp8Blockwise};
constexpr double kNegInf = -std::numeric_limits<double>::infinity();

RandomStep make_step(int num_heads, KvDtype dtype, bool causal, int page_size,
                     std::vector<int32_t> seqlens, int q_len, uint64_t seed) {
  RandomStepSpec spec;
  spec.num_heads = num_heads;
  spec.kv_dtype = dtype;
  spec.causal = causal;
  spec.page_size = page_size;
  spec.q_lens.assign(seqlens.size(), q_len);
  spec.seqlens = std::move(seqlens);
  spec.seed = seed;
  return make_random_step(spec);
}

// Output row (token, head) of `result`: 512 values then the LSE.
std::vector<double> row_of(const DecodeProblem& p,
                           const HostDecodeOutputs& result, int64_t token,
                           int head) {
  const size_t row = size_t(token) * p.num_heads + head;
  std::vector<double> values(result.out.begin() + row * kLatentDim,
                             result.out.begin() + (row + 1) * kLatentDim);
  values.push_back(result.lse[row]);
  return values;
}

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() &&
         std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

TEST(ReferenceSemantics, EmptyKvGivesZeroOutputAndNegativeInfinityLse) {
  for (KvDtype dtype : kDtypes) {
    for (bool causal : {true, false}) {
      SCOPED_TRACE(std::string(kv_dtype_name(dtype)) +
                   (causal ? " causal" : " non-causal"));
      RandomStep step = make_step(5, dtype, causal, 16, {0, 37, 0}, 3, 11);
      const HostDecodeOutputs ref = reference_decode(step.problem, step.inputs);
      for (int request : {0, 1, 2}) {
        for (int t = 0; t < 3; ++t) {
          for (int h = 0; h < 5; ++h) {
            const std::vector<double> row =
                row_of(step.problem, ref, request * 3 + t, h);
            if (request == 1) {
              for (double v : row) ASSERT_TRUE(std::isfinite(v));
            } else {
              for (int d = 0; d < kLatentDim; ++d) ASSERT_EQ(row[d], 0.0);
              ASSERT_EQ(row.back(), kNegInf);
            }
          }
        }
      }
    }
  }
}

// L = 2 keys, s_q = 4 tokens: tokens 0 and 1 see nothing, token 2 sees key 0
// alone (its output is exactly that key's value), token 3 sees both.
TEST(ReferenceSemantics, CausalTokensBeforeTheFirstKeySeeNothing) {
  RandomStep step = make_step(3, KvDtype::kBf16, true, 1, {2}, 4, 12);
  const DecodeProblem& p = step.problem;
  const HostDecodeOutputs ref = reference_decode(p, step.inputs);
  std::vector<double> key0(kHeadDim);
  load_kv_token(p, step.inputs, 0, 0, key0.data());
  for (int h = 0; h < 3; ++h) {
    for (int t : {0, 1}) {
      const std::vector<double> row = row_of(p, ref, t, h);
      EXPECT_EQ(row.back(), kNegInf);
      for (int d = 0; d < kLatentDim; ++d) ASSERT_EQ(row[d], 0.0);
    }
    const std::vector<double> row2 = row_of(p, ref, 2, h);
    for (int d = 0; d < kLatentDim; ++d) ASSERT_EQ(row2[d], key0[d]);
    double score = 0;
    const uint16_t* q =
        step.inputs.q.data() + (size_t(2) * p.num_heads + h) * kHeadDim;
    for (int d = 0; d < kHeadDim; ++d) {
      float qd;
      const uint32_t bits = uint32_t(q[d]) << 16;
      std::memcpy(&qd, &bits, sizeof(qd));
      score += double(qd) * key0[d];
    }
    EXPECT_NEAR(row2.back(), score * p.softmax_scale, 1e-12);
    EXPECT_TRUE(std::isfinite(row_of(p, ref, 3, h).back()));
    EXPECT_FALSE(same_bits(row_of(p, ref, 3, h), row2));
  }
}

// Overwrites key j with key 0 and reports, per query token, whether any head
// of that token's row changed.
std::vector<bool> rows_changed_by_key(RandomStep step, int j,
                                      const HostDecodeOutputs& before) {
  const DecodeProblem& p = step.problem;
  std::memcpy(token_bytes(step, 0, j), token_bytes(step, 0, 0),
              size_t(kv_token_bytes(p.kv_dtype)));
  const HostDecodeOutputs after = reference_decode(p, step.inputs);
  std::vector<bool> changed(p.max_q_len, false);
  for (int t = 0; t < p.max_q_len; ++t) {
    for (int h = 0; h < p.num_heads; ++h) {
      if (!same_bits(row_of(p, before, t, h), row_of(p, after, t, h)))
        changed[t] = true;
    }
  }
  return changed;
}

TEST(ReferenceSemantics, CausalTokenSeesExactlyUpToItsPosition) {
  constexpr int kLen = 40, kQLen = 4;
  for (KvDtype dtype : kDtypes) {
    SCOPED_TRACE(kv_dtype_name(dtype));
    const RandomStep step = make_step(3, dtype, true, 16, {kLen}, kQLen, 13);
    const HostDecodeOutputs before =
        reference_decode(step.problem, step.inputs);
    // Token t's last visible key is L - s_q + t. Changing it changes row t;
    // changing the key just past it (the last visible one of t + 1) does not.
    for (int j = kLen - kQLen - 1; j < kLen; ++j) {
      const std::vector<bool> changed = rows_changed_by_key(step, j, before);
      for (int t = 0; t < kQLen; ++t) {
        const bool visible = j <= kLen - kQLen + t;
        EXPECT_EQ(changed[t], visible) << "key " << j << ", token " << t;
      }
    }
  }
}

TEST(ReferenceSemantics, NonCausalTokensSeeEveryKey) {
  constexpr int kLen = 40, kQLen = 4;
  const RandomStep step =
      make_step(3, KvDtype::kBf16, false, 16, {kLen}, kQLen, 14);
  const HostDecodeOutputs before = reference_decode(step.problem, step.inputs);
  for (int j : {1, kLen - kQLen, kLen - 1}) {
    const std::vector<bool> changed = rows_changed_by_key(step, j, before);
    for (int t = 0; t < kQLen; ++t)
      EXPECT_TRUE(changed[t]) << "key " << j << ", token " << t;
  }
}

// The slots after a request's last token in its last page, the unused pages
// and the block-table entries past its pages hold NaN / huge indices; none of
// it may reach the reference or the plan executor.
TEST(ReferenceSemantics, PoisonedSlotsNeverLeak) {
  for (KvDtype dtype : kDtypes) {
    for (int page_size : {1, 3, 16, 61, 64}) {
      SCOPED_TRACE(std::string(kv_dtype_name(dtype)) + " page " +
                   std::to_string(page_size));
      RandomStep step = make_step(4, dtype, true, page_size, {0, 1, 70, 130, 5},
                                  2, 15 + page_size);
      const DecodeProblem& p = step.problem;
      int poisoned_tails = 0;
      for (int b = 0; b < p.batch; ++b) {
        const int len = step.inputs.seqlens[b];
        const int pages = (len + page_size - 1) / page_size;
        EXPECT_GE(step.inputs
                      .block_table[size_t(b) * p.max_pages_per_request + pages],
                  p.num_pages)
            << "block-table tail of request " << b << " is not poisoned";
        if (len % page_size != 0) {
          std::vector<double> slot(kHeadDim);
          load_kv_token(p, step.inputs, b, len, slot.data());
          EXPECT_TRUE(std::isnan(slot[0]))
              << "slot after request " << b << " is not poisoned";
          ++poisoned_tails;
        }
      }
      if (page_size > 1) {
        EXPECT_GT(poisoned_tails, 0);
      }

      const HostDecodeOutputs ref = reference_decode(p, step.inputs);
      for (int b = 0; b < p.batch; ++b) {
        for (int t = 0; t < 2; ++t) {
          for (int h = 0; h < p.num_heads; ++h) {
            const std::vector<double> row = row_of(p, ref, b * 2 + t, h);
            for (int d = 0; d < kLatentDim; ++d)
              ASSERT_TRUE(std::isfinite(row[d]));
            const bool sees_a_key = step.inputs.seqlens[b] - 2 + t >= 0;
            EXPECT_EQ(std::isfinite(row.back()), sees_a_key);
          }
        }
      }
      const KernelConfig config = select_config(p);
      HostPlan plan = make_host_plan(p, config, 66, step.inputs.lengths(p));
      EXPECT_TRUE(matches_reference(p, step.inputs, ref,
                                    execute_plan(p, plan, step.inputs),
                                    kCpuTolerance));
    }
  }
}

// Keys are dequantized as DESIGN §3 lays the formats out: bf16; e4m3 times
// the tensor scale; blockwise = 512 e4m3, 4 float32 group scales, 64 bf16 —
// its products exact at 16-row tiles (1 head), rounded to bf16 at 64-row
// tiles (40 heads), as those kernel forms consume them (kv_format.h).
TEST(ReferenceSemantics, DequantizesEachKvFormat) {
  for (const auto& [dtype, heads] : {std::pair{KvDtype::kBf16, 1}, {KvDtype::kFp8E4m3, 1},
                                    {KvDtype::kFp8Blockwise, 1}, {KvDtype::kFp8Blockwise, 40}}) {
    SCOPED_TRACE(std::string(kv_dtype_name(dtype)) + " h_q=" + std::to_string(heads));
    RandomStep step = make_step(heads, dtype, true, 16, {20}, 1, 17);
    const bool exact = heads <= 16;
    ASSERT_EQ(select_config(step.problem).blockwise_products,
              exact ? BlockwiseProducts::kExact : BlockwiseProducts::kRoundedToBf16);
    const uint8_t* bytes = token_bytes(step, 0, 13);
    std::vector<double> key(kHeadDim);
    load_kv_token(step.problem, step.inputs, 0, 13, key.data());
    for (int d = 0; d < kHeadDim; ++d) {
      double expected = 0;
      uint16_t bf16;
      switch (dtype) {
        case KvDtype::kBf16:
          std::memcpy(&bf16, bytes + 2 * d, 2);
          expected = detail::bf16_to_float(bf16);
          break;
        case KvDtype::kFp8E4m3:
          expected = double(detail::fp8_e4m3_to_float(bytes[d])) *
                     step.inputs.kv_scale;
          break;
        case KvDtype::kFp8Blockwise:
          if (d < kLatentDim) {
            float scale;
            std::memcpy(
                &scale,
                bytes + kLatentDim + sizeof(float) * (d / kBlockwiseGroup),
                sizeof(float));
            const float value = detail::fp8_e4m3_to_float(bytes[d]);
            expected = exact ? double(value) * scale
                             : detail::bf16_to_float(detail::float_to_bf16(value * scale));
          } else {
            std::memcpy(&bf16,
                        bytes + kLatentDim + kBlockwiseScales * sizeof(float) +
                            2 * (d - kLatentDim),
                        2);
            expected = detail::bf16_to_float(bf16);
          }
          break;
      }
      ASSERT_EQ(key[d], expected) << "dimension " << d;
    }
  }
}

// An independent long-double recomputation of every row from the dequantized
// keys: softmax with the scale, natural-log LSE.
TEST(ReferenceSemantics, MatchesIndependentRecomputation) {
  for (KvDtype dtype : kDtypes) {
    SCOPED_TRACE(kv_dtype_name(dtype));
    const RandomStep step = make_step(2, dtype, true, 16, {23, 50}, 3, 16);
    const DecodeProblem& p = step.problem;
    const HostDecodeOutputs ref = reference_decode(p, step.inputs);
    for (int b = 0; b < p.batch; ++b) {
      const int len = step.inputs.seqlens[b];
      std::vector<double> keys(size_t(len) * kHeadDim);
      for (int j = 0; j < len; ++j)
        load_kv_token(p, step.inputs, b, j, keys.data() + j * kHeadDim);
      for (int t = 0; t < 3; ++t) {
        const int64_t token = b * 3 + t;
        const int visible = len - 3 + t + 1;
        for (int h = 0; h < p.num_heads; ++h) {
          const uint16_t* q = step.inputs.q.data() +
                              (size_t(token) * p.num_heads + h) * kHeadDim;
          std::vector<long double> weights(visible);
          long double sum = 0;
          for (int j = 0; j < visible; ++j) {
            long double dot = 0;
            for (int d = 0; d < kHeadDim; ++d) {
              float qd;
              const uint32_t bits = uint32_t(q[d]) << 16;
              std::memcpy(&qd, &bits, sizeof(qd));
              dot += (long double)qd * keys[size_t(j) * kHeadDim + d];
            }
            weights[j] = std::exp(dot * (long double)p.softmax_scale);
            sum += weights[j];
          }
          const std::vector<double> row = row_of(p, ref, token, h);
          EXPECT_NEAR(row.back(), double(std::log(sum)), 1e-12);
          for (int d = 0; d < kLatentDim; ++d) {
            long double out = 0;
            for (int j = 0; j < visible; ++j)
              out += weights[j] * keys[size_t(j) * kHeadDim + d];
            ASSERT_NEAR(row[d], double(out / sum), 1e-12)
                << "row " << token << " head " << h;
          }
        }
      }
    }
  }
}

// The fp8-compute mode's reference takes Q as the kernel quantizes it: a
// row whose values are e4m3 values after its power-of-two scale (largest
// magnitude 1.75: scale 2^7) is unchanged, so its results equal the exact
// mode's bit for bit; a bf16 row with more bits is not, and its results
// differ — by no more than e4m3's rounding of Q (3 bits) explains.
TEST(ReferenceSemantics, Fp8ComputeQuantizesQueriesAsTheKernel) {
  RandomStep step = make_step(40, KvDtype::kFp8E4m3, true, 16, {70, 33}, 2, 21);
  DecodeProblem quantized = step.problem;
  quantized.fp8_compute = true;
  ASSERT_TRUE(select_config(quantized).fp8_compute);
  const HostDecodeOutputs exact = reference_decode(step.problem, step.inputs);
  const HostDecodeOutputs rounded = reference_decode(quantized, step.inputs);
  EXPECT_NE(exact.out, rounded.out);
  const Comparison apart = compare_outputs(step.problem, step.inputs, exact, rounded);
  EXPECT_GT(apart.relative_error, 0.0);
  EXPECT_LT(apart.relative_error, 5e-2);
  EXPECT_LT(apart.max_lse_error, 5e-2);
  // e4m3 values times 2^-7 (bf16 holds them exactly), largest 1.75.
  const float values[] = {1.75f, -1.5f, 0.0f, 0.25f, -0.01171875f, 1.125f, -0.875f};
  for (size_t i = 0; i < step.inputs.q.size(); ++i) {
    step.inputs.q[i] = detail::float_to_bf16(values[i % 7]);
  }
  EXPECT_EQ(reference_decode(step.problem, step.inputs).out,
            reference_decode(quantized, step.inputs).out);
}

// reference_request_rows() is what sampling checks (the GPU soak) compare
// against: any window of a request's rows, across token boundaries, empty
// requests and ragged q included, must be exactly those rows of the whole
// reference.
TEST(ReferenceSemantics, RequestRowsAreExactlyThoseOfTheWholeReference) {
  for (KvDtype dtype : kDtypes) {
    SCOPED_TRACE(kv_dtype_name(dtype));
    RandomStepSpec spec;
    spec.num_heads = 5;
    spec.kv_dtype = dtype;
    spec.page_size = 16;
    spec.seqlens = {40, 7, 0, 100, 2};
    spec.q_lens = {3, 0, 2, 3, 4};
    spec.ragged_q = true;
    spec.seed = 18;
    const RandomStep step = make_random_step(spec);
    const DecodeProblem& p = step.problem;
    const HostDecodeOutputs whole = reference_decode(p, step.inputs);
    for (int b = 0; b < p.batch; ++b) {
      const int rows = spec.q_lens[b] * p.num_heads;
      for (auto [begin, end] : {std::pair{0, rows}, std::pair{rows / 3, rows - 1},
                                std::pair{rows / 2, rows / 2}}) {
        if (end < begin) continue;
        const HostDecodeOutputs part =
            reference_request_rows(p, step.inputs, b, begin, end);
        const size_t first = size_t(step.inputs.qo_indptr[b]) * p.num_heads + begin;
        ASSERT_EQ(part.lse.size(), size_t(end - begin));
        ASSERT_EQ(part.out.size(), size_t(end - begin) * kLatentDim);
        EXPECT_EQ(std::memcmp(part.lse.data(), whole.lse.data() + first,
                              part.lse.size() * sizeof(double)),
                  0)
            << "request " << b << " rows [" << begin << ", " << end << ")";
        EXPECT_EQ(std::memcmp(part.out.data(),
                              whole.out.data() + first * kLatentDim,
                              part.out.size() * sizeof(double)),
                  0)
            << "request " << b << " rows [" << begin << ", " << end << ")";
      }
    }
  }
}

TEST(ReferenceSemantics, RequestRowsRejectRowsOutsideTheRequest) {
  const RandomStep step = make_step(3, KvDtype::kBf16, true, 16, {20, 5}, 2, 19);
  const DecodeProblem& p = step.problem;
  EXPECT_TRUE(throws_error(
      [&] { reference_request_rows(p, step.inputs, 2, 0, 1); },
      ErrorCode::kBadBatch, {"request", "2"}));
  EXPECT_TRUE(throws_error(
      [&] { reference_request_rows(p, step.inputs, -1, 0, 1); },
      ErrorCode::kBadBatch, {"request", "-1"}));
  EXPECT_TRUE(throws_error(
      [&] { reference_request_rows(p, step.inputs, 1, 0, 7); },
      ErrorCode::kBadQLen, {"[0, 7)", "6"}));
  EXPECT_TRUE(throws_error(
      [&] { reference_request_rows(p, step.inputs, 0, 4, 3); },
      ErrorCode::kBadQLen, {"[4, 3)"}));
}

}  // namespace
}  // namespace mladec::test
