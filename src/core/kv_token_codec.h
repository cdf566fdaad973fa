#pragma once
// The per-value and per-group math of the KV token formats (DESIGN §3),
// shared by encode_kv_token() on the host and the append kernel on the
// device, so that the two write the same bytes for the same input.
#include <cstdint>

#include "mladec/constants.h"
#include "src/core/host_device.h"
#include "src/core/numeric_formats.h"

namespace mladec::detail {

// Largest finite e4m3 value: a blockwise group's largest |value| maps onto it.
inline constexpr float kFp8Max = 448.f;

// Where the parts of a blockwise token start, in bytes.
inline constexpr int kBlockwiseScalesOffset = kLatentDim;
inline constexpr int kBlockwiseRopeOffset =
    kBlockwiseScalesOffset + kBlockwiseScales * int(sizeof(float));

// e4m3fn's NaN. e4m3 has no infinity: a non-finite value is stored as NaN
// rather than saturated to a finite ±448, so garbage never turns into
// plausible data.
inline constexpr uint8_t kFp8NaN = 0x7f;

// By the bits, so host and device agree whatever the compilers' flags.
MLADEC_HD bool is_finite(float value) {
  return (float_to_bits(value) & 0x7f800000u) != 0x7f800000u;
}

// value / scale as e4m3 (round to nearest even, saturating at ±448).
MLADEC_HD uint8_t encode_fp8(float value, float scale) {
  return is_finite(value) ? float_to_fp8_e4m3(value / scale) : kFp8NaN;
}

// A blockwise group's amax after one more value: non-finite values are
// stored as NaN and must not move the scale of the group's other values.
// Also merges two partial amaxes (both finite and >= 0).
MLADEC_HD float fold_amax(float amax, float value) {
  const float magnitude =
      is_finite(value) ? bits_to_float(float_to_bits(value) & 0x7fffffffu) : 0.f;
  return magnitude > amax ? magnitude : amax;
}

// A blockwise group's scale: its amax maps onto ±448; an all-zero (or
// all-non-finite) group gets 1 rather than 0, which encoding divides by.
MLADEC_HD float blockwise_scale(float amax) {
  return amax > 0.f ? amax / kFp8Max : 1.f;
}

}  // namespace mladec::detail
