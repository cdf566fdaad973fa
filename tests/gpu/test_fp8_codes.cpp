// Every e4m3 code through the decode kernel's fp8 producer, bit for bit:
// requests of one KV token each, so P = 1 and every output row is that
// token's latent part, dequantized. The latent values cycle through all 254
// finite codes (both zeros, the subnormals 2^-9…7·2^-9, the normals up to
// ±448); a conversion that flushed subnormals, rounded, or lost a sign would
// show here even where the matrix's 1e-2 tolerance hides it (a subnormal is
// under 2^-6 against O(1) values). Scales are powers of two, so the exact
// result is a bf16 value; both fp8 formats, both tile forms.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "mladec/compare.h"
#include "mladec/device_step.h"
#include "mladec/random_inputs.h"
#include "src/core/kv_token_codec.h"
#include "src/core/numeric_formats.h"

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
  RandomStepSpec spec;
  spec.kv_dtype = dtype;
  spec.num_heads = heads;
  spec.page_size = 64;
  spec.seqlens = {1, 1, 1};
  spec.q_lens.assign(spec.seqlens.size(), 1);
  spec.seed = 77 + heads + 10 * int(dtype);
  RandomStep step = make_random_step(spec);
  step.inputs.kv_scale = 1.f;
  const std::vector<uint8_t> codes = finite_codes();
  const int token_bytes = kv_token_bytes(dtype);
  const int batch = int(spec.seqlens.size());
  std::vector<std::vector<float>> expected(batch, std::vector<float>(kLatentDim));
  for (int b = 0; b < batch; ++b) {
    const int64_t page = step.inputs.block_table[int64_t(b) * step.problem.max_pages_per_request];
    uint8_t* token = step.inputs.kv_cache.data() + page * spec.page_size * token_bytes;
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

}  // namespace
}  // namespace mladec
