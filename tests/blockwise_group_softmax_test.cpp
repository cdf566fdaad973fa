// The per-group online softmax planned for blockwise caches on the
// register-A path (src/core/blockwise_group_softmax.h), run on the CPU as the
// kernel would run it — blocks of 64 keys, f32 accumulators, every Pᵀ_g
// value rounded to f16, e4m3 latent values as they are — against the
// float64 reference on dequantized values. The naive form (one base, P ·
// scale rounded to f16) runs beside it: the adversarial cases must break
// it, or they would not show what the per-group bases are for.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "mladec/constants.h"
#include "src/core/blockwise_group_softmax.h"
#include "src/core/numeric_formats.h"

namespace mladec::detail {
namespace {

constexpr int kGroups = kBlockwiseScales;          // 4 groups of 128 latent values
constexpr int kGroupSize = kLatentDim / kGroups;  // 128
constexpr int kRope = kHeadDim - kLatentDim;      // 64
constexpr int kBlock = 64;                        // keys per block, as the kernel

struct Token {
  std::vector<uint8_t> latent = std::vector<uint8_t>(kLatentDim);  // e4m3 codes
  float scale[kGroups] = {};
  std::vector<float> rope = std::vector<float>(kRope);  // bf16 values
};

struct Result {
  std::vector<double> out = std::vector<double>(kLatentDim, 0.0);
};

// Nearest f16 value (ties to even), subnormals included, as a float.
float round_to_f16(float x) {
  if (x == 0.f || !std::isfinite(x)) return x;
  int exponent;
  std::frexp(x, &exponent);  // |x| in [2^(exponent-1), 2^exponent)
  const int quantum_exponent = std::max(exponent - 1, -14) - 10;
  const double quantum = std::ldexp(1.0, quantum_exponent);
  const double rounded = std::nearbyint(double(x) / quantum) * quantum;
  return std::fabs(rounded) > 65504.0 ? std::copysign(INFINITY, x) : float(rounded);
}

double latent_value(const Token& t, int d) {
  return double(fp8_e4m3_to_float(t.latent[d])) * t.scale[d / kGroupSize];
}

// S(t) in log2 units: the dot product with the dequantized key, times
// softmax_scale · log2(e), as the kernel folds it.
double score_log2(const std::vector<float>& q, const Token& t, double softmax_scale) {
  double dot = 0;
  for (int d = 0; d < kLatentDim; ++d) dot += double(q[d]) * latent_value(t, d);
  for (int d = 0; d < kRope; ++d) dot += double(q[kLatentDim + d]) * t.rope[d];
  return dot * softmax_scale * M_LOG2E;
}

Result reference(const std::vector<float>& q, const std::vector<Token>& keys,
                 double softmax_scale) {
  Result r;
  if (keys.empty()) return r;
  std::vector<double> s(keys.size());
  double top = -INFINITY;
  for (size_t t = 0; t < keys.size(); ++t) {
    s[t] = score_log2(q, keys[t], softmax_scale);
    top = std::max(top, s[t]);
  }
  double total = 0;
  for (size_t t = 0; t < keys.size(); ++t) {
    const double w = std::exp2(s[t] - top);
    total += w;
    for (int d = 0; d < kLatentDim; ++d) r.out[d] += w * latent_value(keys[t], d);
  }
  for (double& v : r.out) v /= total;
  return r;
}

// The kernel's algorithm. S(t) itself in f32 (the kernel: per-group f32
// accumulators times the scales, plus the RoPE part).
Result per_group_bases(const std::vector<float>& q, const std::vector<Token>& keys,
                       double softmax_scale) {
  float running = -INFINITY, total = 0.f;
  float group_running[kGroups], acc[kLatentDim] = {};
  for (float& g : group_running) g = -INFINITY;
  for (size_t first = 0; first < keys.size(); first += kBlock) {
    const size_t end = std::min(keys.size(), first + kBlock);
    std::vector<float> s(end - first);
    float block_max = -INFINITY, group_block_max[kGroups];
    for (float& g : group_block_max) g = -INFINITY;
    for (size_t t = first; t < end; ++t) {
      s[t - first] = float(score_log2(q, keys[t], softmax_scale));
      block_max = std::max(block_max, s[t - first]);
      for (int g = 0; g < kGroups; ++g) {
        group_block_max[g] =
            std::max(group_block_max[g], s[t - first] + group_shift(keys[t].scale[g]));
      }
    }
    // The plain softmax: the denominator.
    const float new_running = std::max(running, block_max);
    total *= softmax_rescale(running, softmax_base(new_running));
    for (size_t t = first; t < end; ++t) total += exp2f(s[t - first] - softmax_base(new_running));
    running = new_running;
    // Each group on its own base: rescale, then add the block's P_g · V_g.
    for (int g = 0; g < kGroups; ++g) {
      const float new_group = std::max(group_running[g], group_block_max[g]);
      const float rescale = softmax_rescale(group_running[g], softmax_base(new_group));
      group_running[g] = new_group;
      for (int d = g * kGroupSize; d < (g + 1) * kGroupSize; ++d) acc[d] *= rescale;
      for (size_t t = first; t < end; ++t) {
        const float p = round_to_f16(group_weight(s[t - first] + group_shift(keys[t].scale[g]),
                                                  softmax_base(new_group), keys[t].scale[g]));
        for (int d = g * kGroupSize; d < (g + 1) * kGroupSize; ++d) {
          acc[d] += p * fp8_e4m3_to_float(keys[t].latent[d]);
        }
      }
    }
  }
  Result r;
  for (int d = 0; d < kLatentDim; ++d) {
    const int g = d / kGroupSize;
    r.out[d] = acc[d] * group_output_factor(softmax_base(group_running[g]),
                                            softmax_base(running), total);
  }
  return r;
}

// The form the plan rejects: one base, Pᵀ_g = P · scale_g rounded to f16.
Result rounded_scaled_p(const std::vector<float>& q, const std::vector<Token>& keys,
                        double softmax_scale) {
  float running = -INFINITY, total = 0.f, acc[kLatentDim] = {};
  for (size_t first = 0; first < keys.size(); first += kBlock) {
    const size_t end = std::min(keys.size(), first + kBlock);
    std::vector<float> s(end - first);
    float block_max = -INFINITY;
    for (size_t t = first; t < end; ++t) {
      s[t - first] = float(score_log2(q, keys[t], softmax_scale));
      block_max = std::max(block_max, s[t - first]);
    }
    const float new_running = std::max(running, block_max);
    const float rescale = softmax_rescale(running, softmax_base(new_running));
    total *= rescale;
    for (float& a : acc) a *= rescale;
    running = new_running;
    for (size_t t = first; t < end; ++t) {
      const float p = exp2f(s[t - first] - softmax_base(running));
      total += p;
      for (int d = 0; d < kLatentDim; ++d) {
        acc[d] += round_to_f16(p * keys[t].scale[d / kGroupSize]) *
                  fp8_e4m3_to_float(keys[t].latent[d]);
      }
    }
  }
  Result r;
  for (int d = 0; d < kLatentDim; ++d) r.out[d] = total > 0.f ? acc[d] / total : 0.0;
  return r;
}

// Worst relative error over the groups (each group's norm on its own: the
// scales make the groups' magnitudes independent); a NaN is infinitely bad.
double worst_group_error(const Result& got, const Result& want) {
  double worst = 0;
  for (int g = 0; g < kGroups; ++g) {
    double diff = 0, norm = 0;
    for (int d = g * kGroupSize; d < (g + 1) * kGroupSize; ++d) {
      diff += (got.out[d] - want.out[d]) * (got.out[d] - want.out[d]);
      norm += want.out[d] * want.out[d];
    }
    const double error = norm > 0 ? std::sqrt(diff / norm) : std::sqrt(diff);
    if (!(error <= worst)) worst = std::isnan(error) ? INFINITY : error;  // NaN counts as worst
  }
  return worst;
}

struct Case {
  std::vector<float> q = std::vector<float>(kHeadDim);
  std::vector<Token> keys;
  double softmax_scale = 1.0 / std::sqrt(192.0);
};

Case random_case(std::mt19937& random, int keys, float log2_scale_low, float log2_scale_high) {
  std::normal_distribution<float> normal;
  std::uniform_real_distribution<float> exponent(log2_scale_low, log2_scale_high);
  Case c;
  for (float& v : c.q) v = bf16_to_float(float_to_bf16(normal(random)));
  c.keys.resize(keys);
  for (Token& t : c.keys) {
    for (uint8_t& code : t.latent) code = float_to_fp8_e4m3(normal(random) * 64.f);
    for (float& s : t.scale) s = std::exp2(exponent(random));
    for (float& v : t.rope) v = bf16_to_float(float_to_bf16(normal(random)));
  }
  return c;
}

TEST(BlockwiseGroupSoftmax, MatchesTheReferenceWithScalesOfOneMagnitude) {
  std::mt19937 random(7);
  for (int keys : {1, 63, 64, 65, 700}) {
    const Case c = random_case(random, keys, -9.f, -5.f);  // amax / 448 of O(1) values
    const Result want = reference(c.q, c.keys, c.softmax_scale);
    EXPECT_LT(worst_group_error(per_group_bases(c.q, c.keys, c.softmax_scale), want), 1e-3)
        << keys << " keys";
    EXPECT_LT(worst_group_error(rounded_scaled_p(c.q, c.keys, c.softmax_scale), want), 1e-2)
        << keys << " keys: the rounded form is fine where nothing is extreme";
  }
}

// Scales across f32's range, per token and group: the groups' outputs are
// of unrelated magnitudes, each must still be right relative to itself.
// (The scores come from the RoPE part here: latent keys scaled by 2^120
// would overflow any f32 score, a different limit from the one tested.)
TEST(BlockwiseGroupSoftmax, MatchesTheReferenceWithScalesAcrossTheFloatRange) {
  std::mt19937 random(8);
  for (int keys : {64, 300}) {
    Case c = random_case(random, keys, -120.f, 120.f);
    for (int d = 0; d < kLatentDim; ++d) c.q[d] = 0.f;
    c.softmax_scale = 1.0;
    const Result want = reference(c.q, c.keys, c.softmax_scale);
    EXPECT_LT(worst_group_error(per_group_bases(c.q, c.keys, c.softmax_scale), want), 1e-3);
    EXPECT_GT(worst_group_error(rounded_scaled_p(c.q, c.keys, c.softmax_scale), want), 0.1)
        << "f16 cannot hold P · scale here";
  }
}

// NOTES' example: key A carries nearly all of the softmax weight but a tiny
// scale, key B almost none with scale 1 — the output is ~A's values times
// its scale. P_A · scale_A = 1e-8 underflows f16 (below 2^-24), so the
// rounded form returns B's values instead.
TEST(BlockwiseGroupSoftmax, KeepsADominantKeyWithATinyScale) {
  std::mt19937 random(9);
  Case c = random_case(random, 2, 0.f, 0.f);
  for (float& v : c.q) v = 0.f;
  c.q[kLatentDim] = 1.f;  // the scores come from the first RoPE value only
  c.softmax_scale = 1.0;
  c.keys[0].rope[0] = 23.f;  // exp(23) / exp(0): P_B / P_A ~ 1e-10
  c.keys[1].rope[0] = 0.f;
  for (float& s : c.keys[0].scale) s = 1e-8f;
  for (float& s : c.keys[1].scale) s = 1.f;
  const Result want = reference(c.q, c.keys, c.softmax_scale);
  EXPECT_LT(worst_group_error(per_group_bases(c.q, c.keys, c.softmax_scale), want), 1e-3);
  EXPECT_GT(worst_group_error(rounded_scaled_p(c.q, c.keys, c.softmax_scale), want), 0.5);
}

// Zero scales give zero groups (the group base stays at "no key" until a
// nonzero scale shows up); negative scales flip the values' sign through
// Pᵀ_g's sign; no key gives zeros.
TEST(BlockwiseGroupSoftmax, HandlesZeroNegativeAndMissingScales) {
  std::mt19937 random(10);
  Case c = random_case(random, 130, -6.f, -6.f);
  for (Token& t : c.keys) {
    t.scale[1] = 0.f;
    t.scale[2] = -t.scale[2];
  }
  c.keys[129].scale[3] = 0.f;  // one zero among nonzero scales
  const Result want = reference(c.q, c.keys, c.softmax_scale);
  const Result got = per_group_bases(c.q, c.keys, c.softmax_scale);
  EXPECT_LT(worst_group_error(got, want), 1e-3);
  for (int d = kGroupSize; d < 2 * kGroupSize; ++d) EXPECT_EQ(got.out[d], 0.0) << d;
  const Result none = per_group_bases(c.q, {}, c.softmax_scale);
  for (double v : none.out) EXPECT_EQ(v, 0.0);
}

// Scores far below zero (and shifts far below): the first block's rescale
// must be 0, not 2^(0 − base) = inf (whose product with the empty sums is
// NaN) — the plain softmax and the groups alike.
TEST(BlockwiseGroupSoftmax, ScoresFarBelowZeroStartCleanly) {
  std::mt19937 random(11);
  Case c = random_case(random, 200, -100.f, -90.f);
  for (int d = 0; d < kLatentDim; ++d) c.q[d] = 0.f;
  c.q[kLatentDim] = 1.f;
  c.softmax_scale = 1.0;
  for (Token& t : c.keys) t.rope[0] = -400.f + 3.f * (t.rope[0]);
  const Result want = reference(c.q, c.keys, c.softmax_scale);
  EXPECT_LT(worst_group_error(per_group_bases(c.q, c.keys, c.softmax_scale), want), 1e-3);
}

TEST(BlockwiseGroupSoftmax, ErrorMeasureCountsNaNAsWorst) {
  Result nan_result, zero;
  nan_result.out[5] = NAN;
  EXPECT_EQ(worst_group_error(nan_result, zero), INFINITY);
  EXPECT_EQ(worst_group_error(zero, zero), 0.0);
}

TEST(BlockwiseGroupSoftmax, RoundsToF16LikeTheHardware) {
  EXPECT_EQ(round_to_f16(1.f + 1.f / 4096.f), 1.f);                   // below half a step
  EXPECT_EQ(round_to_f16(1.f + 3.f / 2048.f), 1.f + 2.f / 1024.f);    // tie to even
  EXPECT_EQ(round_to_f16(std::ldexp(1.f, -25)), 0.f);                 // half the least subnormal: even
  EXPECT_EQ(round_to_f16(std::ldexp(3.f, -26)), std::ldexp(1.f, -24));
  EXPECT_EQ(round_to_f16(65520.f), INFINITY);
  EXPECT_EQ(round_to_f16(-0.75f), -0.75f);
}

}  // namespace
}  // namespace mladec::detail
