// The benchmark's step split (bench/step_split.h): a fixed part plus bytes
// over a marginal rate, from two lengths of one cell.
#include "bench/step_split.h"

#include <gtest/gtest.h>

namespace mladec::bench {
namespace {

// Steps built from a known fixed part and rate come apart into them.
TEST(StepSplit, RecoversTheFixedPartAndTheRateOfALinearStep) {
  const double fixed_us = 12.5, rate_tb_per_s = 4.2;
  const double shorter_bytes = 128.0 * 4096 * 1152, longer_bytes = 2 * shorter_bytes;
  const auto time_us = [&](double bytes) { return fixed_us + bytes / (rate_tb_per_s * 1e6); };
  const StepSplit split =
      split_step(time_us(shorter_bytes), shorter_bytes, time_us(longer_bytes), longer_bytes);
  EXPECT_NEAR(split.fixed_us, fixed_us, 1e-9);
  EXPECT_NEAR(split.marginal_tb_per_s, rate_tb_per_s, 1e-12);
}

// FlashMLA's 128x4096 / 128x8192 h_q 16 times (DESIGN §8: 145 and 283 µs)
// over the bf16 cache bytes alone: 7 µs and 4.38 TB/s (bench/NOTES.md v83).
TEST(StepSplit, FlashMlaMemoryBoundCell) {
  const double shorter_bytes = 128.0 * 4096 * 1152;
  const StepSplit split = split_step(145, shorter_bytes, 283, 2 * shorter_bytes);
  EXPECT_NEAR(split.fixed_us, 7.0, 1e-9);
  EXPECT_NEAR(split.marginal_tb_per_s, 4.3766, 1e-4);
}

}  // namespace
}  // namespace mladec::bench
