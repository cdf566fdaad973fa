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

// How a kernel multiplies a blockwise token's e4m3 latent values by their
// group scales — the two forms consume the same bytes slightly differently,
// and the reference computes on exactly what the running form consumes
// (select_config() says which: KernelConfig::blockwise_products):
//   kRoundedToBf16  bf16(e4m3 * scale): the float32 product rounded once to
//                   bf16, the operand of the bf16 tensor-core tiles (tiles
//                   of more than 16 query rows). The rounding (relative
//                   2^-9, 16x finer than e4m3's own step) moves a score by
//                   ~1e-3 (one standard deviation at N(0, 1) data), so an
//                   LSE over a few keys differs from the exact one by up to
//                   ~7e-3 (measured on the GPU test matrix).
//   kExact          e4m3 * scale exactly: the 16-row register-A form keeps
//                   e4m3 values (exact in f16) and applies each scale in
//                   float32 to its group's partial scores and to P
//                   (src/core/blockwise_group_softmax.h).
enum class BlockwiseProducts { kRoundedToBf16, kExact };

// The 576 values a token's bytes stand for, as the kernels dequantize them:
//   bf16:          the bf16 values.
//   fp8_e4m3:      e4m3 * kv_scale, exactly (the kernels keep e4m3 values
//                  unscaled, exact in bf16, and apply kv_scale in float32).
//   fp8_blockwise: the latent values as `products` says, then the bf16 RoPE
//                  values.
void decode_kv_token(KvDtype dtype, const uint8_t* bytes, float kv_scale, double* values,
                     BlockwiseProducts products = BlockwiseProducts::kRoundedToBf16);

}  // namespace mladec
