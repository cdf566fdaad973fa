// The storage-format conversions of src/core/numeric_formats.h (used by the
// reference, the random inputs and the kernels) against independent,
// obviously-correct implementations written from the format definitions.
#include "src/core/numeric_formats.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

namespace mladec::test {
namespace {

using detail::bf16_to_float;
using detail::float_to_bf16;
using detail::float_to_fp8_e4m3;
using detail::fp8_e4m3_to_float;

float from_bits(uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

// e4m3fn by definition: bias 7, subnormals m/8 * 2^-6, S.1111.111 is NaN, no
// infinities.
double e4m3_value(uint8_t code) {
  const int exponent = (code >> 3) & 0xf, mantissa = code & 0x7;
  if (exponent == 0xf && mantissa == 0x7)
    return std::numeric_limits<double>::quiet_NaN();
  const double magnitude = exponent == 0
                               ? std::ldexp(mantissa / 8.0, -6)
                               : std::ldexp(1.0 + mantissa / 8.0, exponent - 7);
  return (code & 0x80) ? -magnitude : magnitude;
}

// Round to nearest, ties to the even code, saturating at 448: the nearest of
// the two finite e4m3 magnitudes around |x|, found by search in the sorted
// table of all of them.
class SlowE4m3Encoder {
 public:
  SlowE4m3Encoder() {
    for (int code = 0; code <= 0x7e; ++code)
      magnitudes_.push_back(e4m3_value(uint8_t(code)));
  }
  uint8_t operator()(float x) const {
    const uint8_t sign = std::signbit(x) ? 0x80 : 0x00;
    if (std::isnan(x)) return sign | 0x7f;
    const double m = std::fabs(double(x));
    if (m >= magnitudes_.back()) return sign | 0x7e;
    const int below =
        int(std::upper_bound(magnitudes_.begin(), magnitudes_.end(), m) -
            magnitudes_.begin()) -
        1;
    const double to_below = m - magnitudes_[below];
    const double to_above = magnitudes_[below + 1] - m;
    int code = to_below < to_above ? below : below + 1;
    if (to_below == to_above) code = below % 2 == 0 ? below : below + 1;
    return uint8_t(sign | code);
  }

 private:
  std::vector<double> magnitudes_;
};

TEST(Fp8E4m3, DecodesEveryCodeByDefinition) {
  for (int code = 0; code < 256; ++code) {
    const double expected = e4m3_value(uint8_t(code));
    const float got = fp8_e4m3_to_float(uint8_t(code));
    if (std::isnan(expected)) {
      EXPECT_TRUE(std::isnan(got)) << code;
    } else {
      EXPECT_EQ(double(got), expected) << code;
      EXPECT_EQ(std::signbit(got), code >= 0x80) << code;  // -0 stays -0
    }
  }
  EXPECT_EQ(fp8_e4m3_to_float(0x7e), 448.0f);
  EXPECT_EQ(fp8_e4m3_to_float(0x01), 0x1p-9f);
  EXPECT_EQ(fp8_e4m3_to_float(0x08), 0x1p-6f);
}

TEST(Fp8E4m3, EveryCodeRoundTrips) {
  for (int code = 0; code < 256; ++code) {
    EXPECT_EQ(float_to_fp8_e4m3(fp8_e4m3_to_float(uint8_t(code))), code)
        << code;
  }
  // The two NaN codes stay NaN (and keep their sign).
  EXPECT_TRUE(std::isnan(
      fp8_e4m3_to_float(float_to_fp8_e4m3(fp8_e4m3_to_float(0x7f)))));
  EXPECT_TRUE(std::isnan(
      fp8_e4m3_to_float(float_to_fp8_e4m3(fp8_e4m3_to_float(0xff)))));
}

TEST(Fp8E4m3, SaturatesAndKeepsNan) {
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(float_to_fp8_e4m3(inf), 0x7e);
  EXPECT_EQ(float_to_fp8_e4m3(-inf), 0xfe);
  EXPECT_EQ(float_to_fp8_e4m3(464.0f), 0x7e);  // halfway to the 480 e4m3 lacks
  EXPECT_EQ(float_to_fp8_e4m3(1e30f), 0x7e);
  EXPECT_EQ(float_to_fp8_e4m3(-449.0f), 0xfe);
  EXPECT_TRUE(std::isnan(fp8_e4m3_to_float(float_to_fp8_e4m3(std::nanf("")))));
  EXPECT_TRUE(std::isnan(fp8_e4m3_to_float(float_to_fp8_e4m3(-std::nanf("")))));
  EXPECT_TRUE(
      std::isnan(fp8_e4m3_to_float(float_to_fp8_e4m3(from_bits(0x7f800001)))));
  // Ties to even: 2^-10 is halfway between 0 and the smallest subnormal.
  EXPECT_EQ(float_to_fp8_e4m3(0x1p-10f), 0x00);
  EXPECT_EQ(float_to_fp8_e4m3(-0x1p-10f), 0x80);
  EXPECT_EQ(float_to_fp8_e4m3(1.0625f),
            0x38);  // 1 + 1/16: tie, down to even 1.0
  EXPECT_EQ(float_to_fp8_e4m3(1.1875f),
            0x3a);  // 1 + 3/16: tie, up to even 1.25
}

// Every float whose magnitude lies in [2^-11, 2^9), both signs: the whole
// range where rounding decides anything (below it everything is +-0, above
// it everything saturates). Outside it, every exponent with a stride over
// the mantissas.
TEST(Fp8E4m3, EncodesLikeTheSlowReference) {
  const SlowE4m3Encoder reference;
  int64_t checked = 0, wrong = 0;
  uint32_t first_wrong = 0;
  auto check = [&](uint32_t bits) {
    const float x = from_bits(bits);
    ++checked;
    if (float_to_fp8_e4m3(x) != reference(x) && wrong++ == 0)
      first_wrong = bits;
  };
  const uint32_t begin = 0x3a000000;  // 2^-11
  const uint32_t end = 0x44000000;    // 2^9
  for (uint32_t sign : {0u, 0x80000000u}) {
    for (uint32_t bits = begin; bits < end; ++bits) check(sign | bits);
    for (uint32_t bits = 0; bits < begin; bits += 61) check(sign | bits);
    for (uint32_t bits = end; bits <= 0x7fffffff && bits >= end; bits += 61)
      check(sign | bits);
    for (uint32_t edge :
         {begin - 1, end, 0x7f7fffffu, 0x7f800000u, 0x7fffffffu}) {
      check(sign | edge);
    }
  }
  EXPECT_EQ(wrong, 0) << "first wrong float bits 0x" << std::hex << first_wrong
                      << ": got 0x"
                      << int(float_to_fp8_e4m3(from_bits(first_wrong)))
                      << ", reference 0x"
                      << int(reference(from_bits(first_wrong)));
  EXPECT_GT(checked, int64_t(2) * (end - begin));
}

// bf16 as the upper half of a float: the two candidates are the truncation
// and the next code; nearest wins, ties go to the even code, and values past
// the largest finite bf16 by half an ulp or more become infinity.
uint16_t slow_float_to_bf16(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof(bits));
  if (std::isnan(x)) return uint16_t((bits >> 16) | 0x40);
  const uint32_t truncated = bits >> 16;
  if (std::isinf(x)) return uint16_t(truncated);
  auto magnitude = [](uint32_t code) {  // the value code & 0x7fff would have
    const int exponent = (code >> 7) & 0xff, mantissa = code & 0x7f;
    return exponent == 0 ? std::ldexp(mantissa / 128.0, -126)
                         : std::ldexp(1.0 + mantissa / 128.0, exponent - 127);
  };
  const double m = std::fabs(double(x));
  const double to_below = m - magnitude(truncated);
  const double to_above = magnitude(truncated + 1) - m;
  if (to_below < to_above) return uint16_t(truncated);
  if (to_above < to_below) return uint16_t(truncated + 1);
  return uint16_t(truncated % 2 == 0 ? truncated : truncated + 1);
}

TEST(Bf16, RoundingCases) {
  EXPECT_EQ(float_to_bf16(1.0f), 0x3f80);
  EXPECT_EQ(float_to_bf16(from_bits(0x3f808000)), 0x3f80);  // tie: down to even
  EXPECT_EQ(float_to_bf16(from_bits(0x3f818000)), 0x3f82);  // tie: up to even
  EXPECT_EQ(float_to_bf16(from_bits(0x3f808001)),
            0x3f81);  // just above the tie
  EXPECT_EQ(float_to_bf16(from_bits(0x3f807fff)), 0x3f80);  // just below it
  EXPECT_EQ(float_to_bf16(from_bits(0xbf818000)), 0xbf82);  // negative tie
  EXPECT_EQ(float_to_bf16(-0.0f), 0x8000);
  EXPECT_EQ(float_to_bf16(from_bits(0x00008000)), 0x0000);  // subnormal tie
  EXPECT_EQ(float_to_bf16(from_bits(0x00018000)), 0x0002);
  EXPECT_EQ(float_to_bf16(from_bits(0x7f7f7fff)), 0x7f7f);  // largest finite
  EXPECT_EQ(float_to_bf16(std::numeric_limits<float>::max()),
            0x7f80);  // rounds to inf
  EXPECT_EQ(float_to_bf16(std::numeric_limits<float>::infinity()), 0x7f80);
  EXPECT_EQ(float_to_bf16(-std::numeric_limits<float>::infinity()), 0xff80);
  // NaNs stay NaN, including ones whose payload lies only in the low half.
  EXPECT_TRUE(std::isnan(bf16_to_float(float_to_bf16(from_bits(0x7f800001)))));
  EXPECT_TRUE(std::isnan(bf16_to_float(float_to_bf16(from_bits(0xff800001)))));
  EXPECT_TRUE(std::isnan(bf16_to_float(float_to_bf16(std::nanf("")))));
}

TEST(Bf16, EveryCodeRoundTrips) {
  for (uint32_t code = 0; code <= 0xffff; ++code) {
    const float value = bf16_to_float(uint16_t(code));
    uint32_t bits;
    std::memcpy(&bits, &value, sizeof(bits));
    EXPECT_EQ(bits, code << 16) << code;  // bf16 is the upper half of a float
    if (std::isnan(value)) {
      EXPECT_TRUE(std::isnan(bf16_to_float(float_to_bf16(value)))) << code;
    } else {
      EXPECT_EQ(float_to_bf16(value), code) << code;
    }
  }
}

// Every 61st float bit pattern: all exponents, all mantissa residues.
TEST(Bf16, EncodesLikeTheSlowReference) {
  int64_t wrong = 0;
  uint32_t first_wrong = 0;
  for (uint64_t bits = 0; bits <= 0xffffffffull; bits += 61) {
    const float x = from_bits(uint32_t(bits));
    const uint16_t got = float_to_bf16(x);
    const uint16_t expected = slow_float_to_bf16(x);
    const bool same =
        std::isnan(x) ? std::isnan(bf16_to_float(got)) : got == expected;
    if (!same && wrong++ == 0) first_wrong = uint32_t(bits);
  }
  EXPECT_EQ(wrong, 0) << "first wrong float bits 0x" << std::hex << first_wrong;
}

// --- f16_row_scale: the power of two that takes a bf16 Q row into f16 -----

// True when `value` is a normal f16 value exactly: |value| in [2^-14,
// 65504] with at most 10 fraction bits (checked in double, from the
// definition).
bool exact_normal_f16(double value) {
  const double magnitude = std::fabs(value);
  if (magnitude < std::ldexp(1.0, -14) || magnitude > 65504.0) return false;
  int exponent;
  const double fraction = std::frexp(magnitude, &exponent);  // [0.5, 1)
  const double scaled = std::ldexp(fraction, 11);             // 11 significant bits
  return scaled == std::floor(scaled);
}

bool is_power_of_two(float value) {
  int exponent;
  return value > 0.f && std::frexp(double(value), &exponent) == 0.5;
}

TEST(F16RowScale, LargestLandsInTheTopBinadeForEveryExponent) {
  for (int exponent = -149; exponent <= 127; ++exponent) {
    for (double mantissa : {1.0, 1.5, 1.9921875}) {  // 1.9921875: bf16's largest
      const float largest = float(std::ldexp(mantissa, exponent));
      if (largest == 0.f || std::isinf(largest)) continue;
      const detail::F16RowScale scale = detail::f16_row_scale(largest);
      ASSERT_TRUE(is_power_of_two(scale.factor)) << exponent;
      ASSERT_TRUE(is_power_of_two(scale.inverse)) << exponent;
      EXPECT_EQ(double(scale.factor) * double(scale.inverse), 1.0) << exponent;
      const double scaled = double(largest) * double(scale.factor);
      // The shift is clamped to 126 for rows whose largest is below 2^-112
      // (float subnormals among them): they stay below the top binade.
      if (exponent >= -112) {
        EXPECT_GE(scaled, std::ldexp(1.0, 14)) << exponent;
        EXPECT_LT(scaled, std::ldexp(1.0, 15)) << exponent;
      } else {
        EXPECT_EQ(scale.factor, std::ldexp(1.0f, 126)) << exponent;
        EXPECT_LT(scaled, std::ldexp(1.0, 15)) << exponent;
      }
    }
  }
}

TEST(F16RowScale, ZeroNanAndInfinityKeepFiniteFactors) {
  const detail::F16RowScale zero = detail::f16_row_scale(0.f);
  EXPECT_EQ(zero.factor, 1.f);
  EXPECT_EQ(zero.inverse, 1.f);
  const detail::F16RowScale nan = detail::f16_row_scale(std::numeric_limits<float>::quiet_NaN());
  EXPECT_EQ(nan.factor, 1.f);
  const detail::F16RowScale inf = detail::f16_row_scale(std::numeric_limits<float>::infinity());
  EXPECT_TRUE(is_power_of_two(inf.factor));
  EXPECT_TRUE(is_power_of_two(inf.inverse));
  EXPECT_EQ(double(inf.factor) * double(inf.inverse), 1.0);
}

// The claim the f16 forms rest on: in a row of bf16 values, every value of
// at least 2^-28 of the row's largest magnitude becomes an exact normal f16
// value once scaled, so Q loses nothing there. Rows of random bf16 codes
// over the whole exponent range.
TEST(F16RowScale, BfloatRowsConvertExactlyDownTo2ToMinus28OfTheirLargest) {
  uint64_t state = 0x9e3779b97f4a7c15ull;
  const auto next = [&] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return uint32_t(state >> 33);
  };
  int64_t checked = 0;
  for (int row = 0; row < 2000; ++row) {
    // A row of 576 normal values whose exponents span up to 40 binades
    // below a random top exponent in [-80, 119].
    const int top = int(next() % 200) - 80;
    std::vector<float> values(576);
    float largest = 0.f;
    for (float& v : values) {
      const int exponent = top - int(next() % 40);
      const uint16_t code = uint16_t(((next() & 1) << 15) | ((exponent + 127) << 7) | (next() & 0x7f));
      v = bf16_to_float(code);
      largest = std::max(largest, std::fabs(v));
    }
    const detail::F16RowScale scale = detail::f16_row_scale(largest);
    for (float v : values) {
      if (double(std::fabs(v)) < std::ldexp(double(largest), -28)) continue;
      ASSERT_TRUE(exact_normal_f16(double(v) * double(scale.factor)))
          << "row " << row << ": " << v << " of largest " << largest;
      ++checked;
    }
  }
  EXPECT_GT(checked, 2000 * 400);  // most values lie within 28 binades
}

}  // namespace
}  // namespace mladec::test
