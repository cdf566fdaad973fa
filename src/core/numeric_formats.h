#pragma once
// Bit-exact conversions for the storage formats (bf16, fp8 e4m3fn), usable on
// host and device so the reference dequantizes exactly as the kernels do.
#include <cstdint>
#include <cstring>

#include "src/core/host_device.h"

namespace mladec::detail {

MLADEC_HD float bits_to_float(uint32_t bits) {
  float value;
  memcpy(&value, &bits, sizeof(value));
  return value;
}

MLADEC_HD uint32_t float_to_bits(float value) {
  uint32_t bits;
  memcpy(&bits, &value, sizeof(bits));
  return bits;
}

MLADEC_HD float bf16_to_float(uint16_t bits) {
  return bits_to_float(uint32_t(bits) << 16);
}

// Round to nearest even; NaN stays NaN.
MLADEC_HD uint16_t float_to_bf16(float value) {
  uint32_t bits = float_to_bits(value);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return uint16_t((bits >> 16) | 0x40);
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return uint16_t(bits >> 16);
}

// e4m3fn: 1 sign, 4 exponent (bias 7), 3 mantissa bits; no infinities,
// 0x7f / 0xff are NaN; largest finite 448.
MLADEC_HD float fp8_e4m3_to_float(uint8_t bits) {
  const uint32_t sign = uint32_t(bits & 0x80) << 24;
  const uint32_t exponent = (bits >> 3) & 0xf;
  const uint32_t mantissa = bits & 0x7;
  if (exponent == 0xf && mantissa == 0x7) return bits_to_float(sign | 0x7fc00000u);
  if (exponent == 0) {  // subnormal: mantissa * 2^-9
    float magnitude = float(mantissa) * (1.0f / 512.0f);
    return sign ? -magnitude : magnitude;
  }
  return bits_to_float(sign | ((exponent + 120) << 23) | (mantissa << 20));
}

// Round to nearest even, saturating to +-448 (what serving engines store).
MLADEC_HD uint8_t float_to_fp8_e4m3(float value) {
  uint32_t bits = float_to_bits(value);
  const uint8_t sign = uint8_t((bits >> 24) & 0x80);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return uint8_t(sign | 0x7f);
  float magnitude = value < 0 ? -value : value;
  if (magnitude >= 448.0f) return uint8_t(sign | 0x7e);
  if (magnitude < 1.0f / 64.0f) {  // subnormal range: steps of 2^-9
    float steps = magnitude * 512.0f;
    uint32_t q = uint32_t(steps);
    float rest = steps - float(q);
    if (rest > 0.5f || (rest == 0.5f && (q & 1u))) ++q;
    return uint8_t(sign | q);  // q == 8 is the smallest normal, encoded alike
  }
  uint32_t m = float_to_bits(magnitude);
  uint32_t exponent = (m >> 23) - 120;  // >= 1 here
  uint32_t mantissa = m & 0x7fffffu;
  uint32_t kept = mantissa >> 20;
  uint32_t rest = mantissa & 0xfffffu;
  if (rest > 0x80000u || (rest == 0x80000u && (kept & 1u))) {
    if (++kept == 8) {
      kept = 0;
      ++exponent;
    }
  }
  if (exponent > 15 || (exponent == 15 && kept == 7)) return uint8_t(sign | 0x7e);
  return uint8_t(sign | (exponent << 3) | kept);
}

// The f16 operand forms (src/cuda/q_tile_f16.cuh) scale each bf16 Q row by
// a power of two that puts its largest magnitude in [2^14, 2^15): f16's
// 11 significant bits hold bf16's 8, so every value of at least 2^-28 of
// the row's largest is then an exact normal f16 value, and the largest
// stays below f16's 65504. A zero row keeps shift 0; subnormal and huge
// rows stay within float's exponent range (|shift| <= 126). `inverse`
// scales the scores back.
struct F16RowScale {
  float factor;   // 2^shift
  float inverse;  // 2^-shift
};

MLADEC_HD F16RowScale f16_row_scale(float largest) {
  const int exponent = largest > 0.f ? int((float_to_bits(largest) >> 23) & 0xff) - 127 : 14;
  const int unclamped = 14 - exponent;
  const int at_least = unclamped < -126 ? -126 : unclamped;
  const int shift = at_least > 126 ? 126 : at_least;
  return {bits_to_float(uint32_t(127 + shift) << 23), bits_to_float(uint32_t(127 - shift) << 23)};
}

}  // namespace mladec::detail
