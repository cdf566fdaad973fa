#include "mladec/kv_format.h"

#include <cmath>
#include <cstring>

#include "mladec/constants.h"
#include "src/core/kv_token_codec.h"
#include "src/core/numeric_formats.h"
#include "src/core/require.h"

namespace mladec {

namespace {

void put_bf16(float value, uint8_t* bytes) {
  const uint16_t bits = detail::float_to_bf16(value);
  std::memcpy(bytes, &bits, 2);
}

double get_bf16(const uint8_t* bytes) {
  uint16_t bits;
  std::memcpy(&bits, bytes, 2);
  return detail::bf16_to_float(bits);
}

}  // namespace

void encode_kv_token(KvDtype dtype, const float* values, float kv_scale,
                     uint8_t* bytes) {
  switch (dtype) {
    case KvDtype::kBf16:
      for (int d = 0; d < kHeadDim; ++d) put_bf16(values[d], bytes + 2 * d);
      return;
    case KvDtype::kFp8E4m3:
      detail::require(std::isfinite(kv_scale) && kv_scale > 0.f,
                      ErrorCode::kBadKvScale,
                      "kv_scale must be finite and > 0 for fp8_e4m3, got ", kv_scale);
      for (int d = 0; d < kHeadDim; ++d) bytes[d] = detail::encode_fp8(values[d], kv_scale);
      return;
    case KvDtype::kFp8Blockwise: {
      float scales[kBlockwiseScales];
      for (int g = 0; g < kBlockwiseScales; ++g) {
        const float* group = values + g * kBlockwiseGroup;
        float amax = 0.f;
        for (int i = 0; i < kBlockwiseGroup; ++i) amax = detail::fold_amax(amax, group[i]);
        scales[g] = detail::blockwise_scale(amax);
        for (int i = 0; i < kBlockwiseGroup; ++i) {
          bytes[g * kBlockwiseGroup + i] = detail::encode_fp8(group[i], scales[g]);
        }
      }
      std::memcpy(bytes + detail::kBlockwiseScalesOffset, scales, sizeof(scales));
      uint8_t* rope = bytes + detail::kBlockwiseRopeOffset;
      for (int d = 0; d < kRopeDim; ++d) put_bf16(values[kLatentDim + d], rope + 2 * d);
      return;
    }
  }
  detail::fail(ErrorCode::kBadKvDtype, "unknown kv_dtype enum value ", int(dtype));
}

void decode_kv_token(KvDtype dtype, const uint8_t* bytes, float kv_scale, double* values,
                     BlockwiseProducts products) {
  switch (dtype) {
    case KvDtype::kBf16:
      for (int d = 0; d < kHeadDim; ++d) values[d] = get_bf16(bytes + 2 * d);
      return;
    case KvDtype::kFp8E4m3:
      for (int d = 0; d < kHeadDim; ++d) {
        values[d] = double(detail::fp8_e4m3_to_float(bytes[d])) * kv_scale;
      }
      return;
    case KvDtype::kFp8Blockwise: {
      float scales[kBlockwiseScales];
      std::memcpy(scales, bytes + detail::kBlockwiseScalesOffset, sizeof(scales));
      // kv_format.h: exact, or the float32 product rounded once to bf16.
      const bool exact = products == BlockwiseProducts::kExact;
      for (int d = 0; d < kLatentDim; ++d) {
        const float value = detail::fp8_e4m3_to_float(bytes[d]);
        const float scale = scales[d / kBlockwiseGroup];
        values[d] = exact ? double(value) * scale
                          : detail::bf16_to_float(detail::float_to_bf16(value * scale));
      }
      const uint8_t* rope = bytes + detail::kBlockwiseRopeOffset;
      for (int d = 0; d < kRopeDim; ++d) values[kLatentDim + d] = get_bf16(rope + 2 * d);
      return;
    }
  }
  detail::fail(ErrorCode::kBadKvDtype, "unknown kv_dtype enum value ", int(dtype));
}

}  // namespace mladec
