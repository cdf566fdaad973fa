#pragma once
// The three KV-cache token formats (DESIGN §3) as bytes, on the host: what
// an engine writes when it appends a token and what the kernels read.
#include <cstdint>

#include "mladec/problem.h"

namespace mladec {

// Writes one token — 576 values: 512 latent, then 64 RoPE — as
// kv_token_bytes(dtype) bytes.
//   bf16:          576 bf16 values (round to nearest even).
//   fp8_e4m3:      576 e4m3 values of value / kv_scale (saturating at ±448).
//   fp8_blockwise: 512 e4m3 latent values, each group of 128 scaled by its
//                  own float32 scale = max |value| / 448 (1 for an all-zero
//                  group), the 4 scales, then 64 bf16 RoPE values.
// Non-finite values are stored as NaN in the fp8 formats (e4m3 has no
// infinity); they never move a blockwise group's scale.
// Throws kBadKvScale for fp8_e4m3 with a kv_scale that is not finite and > 0.
void encode_kv_token(KvDtype dtype, const float* values, float kv_scale,
                     uint8_t* bytes);

// The 576 values a token's bytes stand for, as the kernels dequantize them:
//   bf16:          the bf16 values.
//   fp8_e4m3:      e4m3 * kv_scale, exactly (the kernels keep e4m3 values
//                  unscaled, exact in bf16, and apply kv_scale in float32).
//   fp8_blockwise: bf16(e4m3 * scale): the float32 product rounded once to
//                  bf16, the operand the bf16 tensor-core kernels multiply.
//                  This rounding (relative 2^-9) is part of the format's
//                  definition here; it is 16x finer than e4m3's own step, and
//                  an exact float product would differ from it by up to
//                  ~7e-3 in LSE (measured on the GPU test matrix).
void decode_kv_token(KvDtype dtype, const uint8_t* bytes, float kv_scale,
                     double* values);
void decode_kv_token(KvDtype dtype, const uint8_t* bytes, float kv_scale,
                     double* values);

}  // namespace mladec
