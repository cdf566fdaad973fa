// The token formats round-trip within their precision: bf16 to 2^-9
// relative, per-tensor e4m3 to 2^-4 relative (plus the subnormal step) of
// value / scale, blockwise e4m3 to 2^-4 of each group's largest value, and
// the blockwise RoPE part exactly as bf16.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "mladec/constants.h"
#include "mladec/error.h"
#include "mladec/kv_format.h"
#include "src/core/numeric_formats.h"

namespace mladec {
namespace {

std::vector<float> random_token(uint64_t seed, float spread) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.f, spread);
  std::vector<float> values(kHeadDim);
  for (float& v : values) v = normal(rng);
  return values;
}

std::vector<double> round_trip(KvDtype dtype, const std::vector<float>& values,
                               float kv_scale) {
  std::vector<uint8_t> bytes(kv_token_bytes(dtype), 0xa5);
  encode_kv_token(dtype, values.data(), kv_scale, bytes.data());
  std::vector<double> decoded(kHeadDim);
  decode_kv_token(dtype, bytes.data(), kv_scale, decoded.data());
  return decoded;
}

TEST(KvFormat, Bf16RoundTripsToHalfAnUlp) {
  for (uint64_t seed = 1; seed <= 50; ++seed) {
    const std::vector<float> values = random_token(seed, 3.f);
    const std::vector<double> decoded = round_trip(KvDtype::kBf16, values, 1.f);
    for (int d = 0; d < kHeadDim; ++d) {
      ASSERT_LE(std::fabs(decoded[d] - values[d]), std::fabs(values[d]) * 0x1p-8)
          << "seed " << seed << ", value " << d;
    }
  }
}

TEST(KvFormat, Fp8PerTensorRoundTripsWithinE4m3Precision) {
  for (float kv_scale : {0.01f, 0.5f, 3.f}) {
    for (uint64_t seed = 1; seed <= 50; ++seed) {
      const std::vector<float> values = random_token(seed, 1.f);
      const std::vector<double> decoded = round_trip(KvDtype::kFp8E4m3, values, kv_scale);
      for (int d = 0; d < kHeadDim; ++d) {
        const double scaled = values[d] / kv_scale;
        if (std::fabs(scaled) >= 448) {  // saturates
          ASSERT_EQ(std::fabs(decoded[d] / kv_scale), 448.0);
          continue;
        }
        // Half a step: 2^-4 relative for normals, 2^-10 absolute below 2^-6.
        const double tolerance = std::max(std::fabs(scaled) * 0x1p-4, 0x1p-10);
        ASSERT_LE(std::fabs(decoded[d] / kv_scale - scaled), tolerance)
            << "scale " << kv_scale << ", seed " << seed << ", value " << d;
      }
    }
  }
}

TEST(KvFormat, BlockwiseScalesEachGroupToItsLargestValue) {
  for (uint64_t seed = 1; seed <= 50; ++seed) {
    std::vector<float> values = random_token(seed, 1.f);
    // Groups of very different magnitude, one all zero.
    for (int i = 0; i < kBlockwiseGroup; ++i) {
      values[i] *= 1e-3f;
      values[kBlockwiseGroup + i] *= 50.f;
      values[2 * kBlockwiseGroup + i] = 0.f;
    }
    const std::vector<double> decoded = round_trip(KvDtype::kFp8Blockwise, values, 1.f);
    for (int g = 0; g < kBlockwiseScales; ++g) {
      double amax = 0;
      for (int i = 0; i < kBlockwiseGroup; ++i) {
        amax = std::max(amax, double(std::fabs(values[g * kBlockwiseGroup + i])));
      }
      for (int i = 0; i < kBlockwiseGroup; ++i) {
        const int d = g * kBlockwiseGroup + i;
        // Half an e4m3 step of the value, or of the subnormal step at the
        // group's scale (amax / 448 · 2^-9).
        const double tolerance =
            std::max(std::fabs(values[d]) * 0x1p-4, amax / 448 * 0x1p-10);
        ASSERT_LE(std::fabs(decoded[d] - values[d]), tolerance)
            << "seed " << seed << ", group " << g << ", value " << i;
      }
    }
    for (int d = kLatentDim; d < kHeadDim; ++d) {  // RoPE part: bf16
      ASSERT_LE(std::fabs(decoded[d] - values[d]), std::fabs(values[d]) * 0x1p-8);
    }
  }
}

// The two ways kernels apply blockwise scales (kv_format.h): the exact
// product, or the float32 product rounded once to bf16; RoPE the same.
TEST(KvFormat, BlockwiseProductsAreExactOrRoundedOnceToBf16) {
  const std::vector<float> values = random_token(7, 2.f);
  std::vector<uint8_t> bytes(kv_token_bytes(KvDtype::kFp8Blockwise));
  encode_kv_token(KvDtype::kFp8Blockwise, values.data(), 1.f, bytes.data());
  std::vector<double> exact(kHeadDim), rounded(kHeadDim);
  decode_kv_token(KvDtype::kFp8Blockwise, bytes.data(), 1.f, exact.data(),
                  BlockwiseProducts::kExact);
  decode_kv_token(KvDtype::kFp8Blockwise, bytes.data(), 1.f, rounded.data(),
                  BlockwiseProducts::kRoundedToBf16);
  float scales[kBlockwiseScales];
  std::memcpy(scales, bytes.data() + kLatentDim, sizeof(scales));
  int differ = 0;
  for (int d = 0; d < kLatentDim; ++d) {
    const float code = detail::fp8_e4m3_to_float(bytes[d]);
    const float scale = scales[d / kBlockwiseGroup];
    ASSERT_EQ(exact[d], double(code) * double(scale)) << "value " << d;
    ASSERT_EQ(rounded[d], detail::bf16_to_float(detail::float_to_bf16(code * scale)))
        << "value " << d;
    differ += exact[d] != rounded[d];
  }
  EXPECT_GT(differ, kLatentDim / 2) << "scales of N(0, 2) data are no powers of two";
  for (int d = kLatentDim; d < kHeadDim; ++d) ASSERT_EQ(exact[d], rounded[d]);
}

TEST(KvFormat, NonFiniteValuesStayNonFiniteAndAloneInFp8) {
  for (KvDtype dtype : {KvDtype::kFp8E4m3, KvDtype::kFp8Blockwise}) {
    std::vector<float> values = random_token(7, 1.f);
    values[5] = std::numeric_limits<float>::quiet_NaN();
    values[6] = std::numeric_limits<float>::infinity();
    values[7] = -std::numeric_limits<float>::infinity();
    const std::vector<double> decoded = round_trip(dtype, values, 0.5f);
    for (int d = 0; d < kLatentDim; ++d) {
      if (d >= 5 && d <= 7) {
        EXPECT_TRUE(std::isnan(decoded[d])) << kv_dtype_name(dtype) << " value " << d;
      } else {
        // The group's other values keep their precision: the scale ignores
        // the non-finite ones.
        EXPECT_NEAR(decoded[d], values[d], std::fabs(values[d]) * 0x1p-4 + 1e-3)
            << kv_dtype_name(dtype) << " value " << d;
      }
    }
  }
}

TEST(KvFormat, Fp8PerTensorRefusesABadScale) {
  const std::vector<float> values = random_token(3, 1.f);
  for (float bad : {0.f, -1.f, std::numeric_limits<float>::quiet_NaN(),
                    std::numeric_limits<float>::infinity()}) {
    std::vector<uint8_t> bytes(kHeadDim, 0xa5);
    try {
      encode_kv_token(KvDtype::kFp8E4m3, values.data(), bad, bytes.data());
      ADD_FAILURE() << "kv_scale " << bad << " was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kBadKvScale);
    }
    for (uint8_t b : bytes) ASSERT_EQ(b, 0xa5) << "bytes written for scale " << bad;
  }
}

}  // namespace
}  // namespace mladec
