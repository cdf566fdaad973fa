// Queries across bf16's whole range: each query row is scaled by its own
// power of two, from 2^-100 to 2^100, and the softmax scale by 2^-100 so the
// largest rows' scores stay O(1) (the others' are ~0: uniform attention).
// A kernel that runs a cache in f16 (65504 at most) must scale Q per row, or
// these rows overflow to inf; every tile form and cache format runs it.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "mladec/compare.h"
#include "mladec/device_step.h"
#include "mladec/random_inputs.h"
#include "src/core/numeric_formats.h"

namespace mladec {
namespace {

constexpr int kRowExponents[] = {100, 60, 20, 0, -20, -60, -100};

using detail::bf16_to_float;

// Exact for a power-of-two factor while the result stays a normal bf16.
uint16_t scale_bf16(uint16_t bits, int exponent) {
  return detail::float_to_bf16(std::ldexp(bf16_to_float(bits), exponent));
}

void run_case(KvDtype dtype, int heads) {
  RandomStep step = make_random_step({.num_heads = heads,
                                      .kv_dtype = dtype,
                                      .seqlens = {700, 130, 2048},
                                      .q_lens = {1, 1, 1},
                                      .seed = 4242 + uint64_t(heads) + 100 * uint64_t(dtype)});
  step.problem.softmax_scale = std::ldexp(step.problem.softmax_scale, -100);
  const int64_t rows = int64_t(step.problem.total_q) * heads;
  for (int64_t r = 0; r < rows; ++r) {
    const int exponent = kRowExponents[r % std::size(kRowExponents)];
    uint16_t* row = step.inputs.q.data() + r * kHeadDim;
    for (int k = 0; k < kHeadDim; ++k) {
      // N(0,1) values above 2^-20 stay normal at 2^-100 (bf16's least
      // normal is 2^-126); smaller ones become 0 in both the GPU's and the
      // reference's input.
      row[k] = std::fabs(bf16_to_float(row[k])) < 0x1p-20f ? 0 : scale_bf16(row[k], exponent);
    }
  }
  DeviceStep device(step.problem, step.inputs, 0);
  const HostDecodeOutputs ref = reference_decode(step.problem, step.inputs);
  device.poison_outputs(nullptr);
  device.plan(nullptr);
  device.decode(nullptr);
  const Comparison cmp = compare_outputs(step.problem, step.inputs, ref, device.download_outputs());
  EXPECT_TRUE(within(cmp, kGpuTolerance))
      << kv_dtype_name(dtype) << " h_q=" << heads << ": relative error " << cmp.relative_error
      << ", max lse error " << cmp.max_lse_error << ", bad rows " << cmp.bad_rows << " ("
      << cmp.first_bad << ")";
  std::printf("%s h_q=%d: relative error %.3g, lse error %.3g\n", kv_dtype_name(dtype), heads,
              cmp.relative_error, cmp.max_lse_error);
}

// h_q 16 / 32 / 128 at s_q 1: the 16-row and 32-row transposed forms and the
// 64-row form (blockwise runs 32 rows as 64-row tiles).
TEST(QueryRange, EveryRowScaleMatchesReference) {
  for (KvDtype dtype : {KvDtype::kBf16, KvDtype::kFp8E4m3, KvDtype::kFp8Blockwise}) {
    for (int heads : {16, 32, 128}) run_case(dtype, heads);
  }
}

}  // namespace
}  // namespace mladec
