// The fp8 producers' dequantization at its edges.
//
// Every e4m3 code through the decode kernel's fp8 producer, bit for bit:
// requests of one KV token each, so P = 1 and every output row is that
// token's latent part, dequantized. The latent values cycle through all 254
// finite codes (both zeros, the subnormals 2^-9…7·2^-9, the normals up to
// ±448); a conversion that flushed subnormals, rounded, or lost a sign would
// show here even where the matrix's 1e-2 tolerance hides it (a subnormal is
// under 2^-6 against O(1) values). Scales are powers of two, so the exact
// result is a bf16 value; both fp8 formats, both tile forms.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "mladec/compare.h"
#include "mladec/device_step.h"
#include "mladec/kv_format.h"
#include "mladec/random_inputs.h"
#include "src/core/kv_token_codec.h"
#include "src/core/numeric_formats.h"
#include "tests/support/step_tokens.h"

namespace mladec {
namespace {

using detail::fp8_e4m3_to_float;
using detail::kBlockwiseScalesOffset;

// The finite e4m3 codes in order (0x7f and 0xff are NaN).
std::vector<uint8_t> finite_codes() {
  std::vector<uint8_t> codes;
  for (int c = 0; c < 256; ++c) {
    if ((c & 0x7f) != 0x7f) codes.push_back(uint8_t(c));
  }
  return codes;
}

// The blockwise format's group scales: powers of two, one per 128 values.
constexpr float kGroupScales[kBlockwiseScales] = {1.f, 0.25f, 4.f, 0.0625f};

void run_case(KvDtype dtype, int heads) {
  const RandomStepSpec spec{.num_heads = heads,
                            .kv_dtype = dtype,
                            .seqlens = {1, 1, 1},
                            .q_lens = {1, 1, 1},
                            .seed = 77 + uint64_t(heads) + 10 * uint64_t(dtype)};
  RandomStep step = make_random_step(spec);
  step.inputs.kv_scale = 1.f;
  const std::vector<uint8_t> codes = finite_codes();
  const int batch = int(spec.seqlens.size());
  std::vector<std::vector<float>> expected(batch, std::vector<float>(kLatentDim));
  for (int b = 0; b < batch; ++b) {
    uint8_t* token = test::token_bytes(step, b, 0);
    for (int i = 0; i < kLatentDim; ++i) {
      // Each request starts elsewhere in the code list, so every code meets
      // every scale group and both tile halves.
      const uint8_t code = codes[(i + 97 * b) % codes.size()];
      token[i] = code;
      const float scale =
          dtype == KvDtype::kFp8Blockwise ? kGroupScales[i / kBlockwiseGroup] : 1.f;
      expected[b][i] = fp8_e4m3_to_float(code) * scale;
    }
    if (dtype == KvDtype::kFp8Blockwise) {
      std::memcpy(token + kBlockwiseScalesOffset, kGroupScales, sizeof(kGroupScales));
    }
    // The RoPE part (random, finite) only sets the one score; P is 1 anyway.
  }
  DeviceStep device(step.problem, step.inputs, 0);
  device.poison_outputs(nullptr);
  device.plan(nullptr);
  device.decode(nullptr);
  const HostDecodeOutputs out = device.download_outputs();
  int mismatches = 0;
  for (int b = 0; b < batch; ++b) {
    for (int h = 0; h < heads; ++h) {
      const int64_t row = int64_t(b) * heads + h;
      for (int i = 0; i < kLatentDim; ++i) {
        const double got = out.out[row * kLatentDim + i];
        const double want = expected[b][i];
        // Exact (−0 comes out as +0: the accumulator starts at +0).
        if (got != want && ++mismatches <= 5) {
          ADD_FAILURE() << kv_dtype_name(dtype) << " h_q=" << heads << " request " << b
                        << " head " << h << " value " << i << ": got " << got << ", want "
                        << want << " (code 0x" << std::hex
                        << int(codes[(i + 97 * b) % codes.size()]) << std::dec << ")";
        }
      }
    }
  }
  EXPECT_EQ(mismatches, 0) << kv_dtype_name(dtype) << " h_q=" << heads;
  // The LSE too, against the reference (one score per row).
  const Comparison cmp = compare_outputs(step.problem, step.inputs,
                                         reference_decode(step.problem, step.inputs), out);
  EXPECT_TRUE(within(cmp, kGpuTolerance)) << "relative error " << cmp.relative_error
                                          << ", max lse error " << cmp.max_lse_error;
}

// h_q 16: the 16-row transposed form; h_q 128: the 64-row form.
TEST(Fp8Codes, EveryFiniteCodeDequantizesExactly) {
  for (KvDtype dtype : {KvDtype::kFp8E4m3, KvDtype::kFp8Blockwise}) {
    for (int heads : {16, 128}) run_case(dtype, heads);
  }
}

// Blockwise tokens whose scales lie 60 octaves apart, per row checked
// against the reference (a norm over all rows would hide the small ones).
// Scores come from the RoPE part only (Q's latent part zero, its RoPE part
// all ones), so they stay O(1) whatever the scales:
//   request 0: latent values ~2^-30, but token 37's ~2^+30 with RoPE values
//     of -100, a score some 270 below the others': its P·V term (~2^-390
//     relative) must vanish and the tiny tokens' must not be lost — a P·V
//     scale set by the largest scale seen would flush them all;
//   request 1: each token's scale 2^k, k uniform in [-30, 30];
//   request 2: every token ~2^+30.
// h_q 8: the 16-row register-A form; 20 and 128: 64-row tiles.
TEST(Fp8Codes, BlockwiseScalesSpanningSixtyOctaves) {
  const uint16_t bf16_one = detail::float_to_bf16(1.f);
  for (int heads : {8, 20, 128}) {
    SCOPED_TRACE("h_q=" + std::to_string(heads));
    const RandomStepSpec spec{.num_heads = heads,
                              .kv_dtype = KvDtype::kFp8Blockwise,
                              .seqlens = {200, 130, 64},
                              .q_lens = {1, 1, 1},
                              .seed = 1234 + uint64_t(heads)};
    RandomStep step = make_random_step(spec);
    for (size_t row = 0; row < step.inputs.q.size() / kHeadDim; ++row) {
      for (int d = 0; d < kHeadDim; ++d) {
        step.inputs.q[row * kHeadDim + d] = d < kLatentDim ? uint16_t(0) : bf16_one;
      }
    }
    std::mt19937_64 rng(spec.seed);
    std::normal_distribution<float> normal;
    std::uniform_int_distribution<int> octave(-30, 30);
    std::vector<float> values(kHeadDim);
    for (int b = 0; b < int(spec.seqlens.size()); ++b) {
      for (int t = 0; t < spec.seqlens[b]; ++t) {
        const bool outlier = b == 0 && t == 37;
        const int k = b == 0 ? (outlier ? 30 : -30) : b == 1 ? octave(rng) : 30;
        for (int d = 0; d < kLatentDim; ++d) values[d] = std::ldexp(normal(rng), k);
        for (int d = kLatentDim; d < kHeadDim; ++d) values[d] = outlier ? -100.f : normal(rng);
        encode_kv_token(KvDtype::kFp8Blockwise, values.data(), 1.f,
                        test::token_bytes(step, b, t));
      }
    }
    DeviceStep device(step.problem, step.inputs, 0);
    device.poison_outputs(nullptr);
    device.plan(nullptr);
    device.decode(nullptr);
    const HostDecodeOutputs out = device.download_outputs();
    const HostDecodeOutputs ref = reference_decode(step.problem, step.inputs);
    double worst = 0;
    for (int64_t row = 0; row < int64_t(spec.seqlens.size()) * heads; ++row) {
      double error = 0, norm = 0;
      for (int i = 0; i < kLatentDim; ++i) {
        const double want = ref.out[row * kLatentDim + i];
        error += std::pow(out.out[row * kLatentDim + i] - want, 2);
        norm += want * want;
      }
      ASSERT_GT(norm, 0.0) << "row " << row;
      const double relative = std::sqrt(error / norm);
      worst = std::max(worst, relative);
      EXPECT_LT(relative, kGpuTolerance.relative) << "row " << row;
      EXPECT_LT(std::fabs(out.lse[row] - ref.lse[row]), kGpuTolerance.lse)
          << "row " << row;
    }
    std::printf("h_q %d: worst per-row relative error %.3g\n", heads, worst);
  }
}

}  // namespace
}  // namespace mladec
