// src/core/fast_divider.h against the integer division it replaces in the
// decode producer (token index / page size), over every divisor up to 4096
// and a spread of larger ones, with the dividends where a rounding error
// would show first: around multiples of the divisor and at 2^31 - 1.
#include "src/core/fast_divider.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

namespace mladec::test {
namespace {

using detail::divide;
using detail::FastDivider;
using detail::make_fast_divider;

constexpr int kLargestDividend = 0x7fffffff;

// The dividends to try for divisor d: 0..d + 1, each side of several
// multiples of d across the range, the top of the range, and random ones.
std::vector<int> dividends_for(uint32_t d, std::mt19937& rng) {
  std::vector<int> n;
  for (int i = 0; i <= 2; ++i) n.push_back(i);
  for (int64_t k : {int64_t(1), int64_t(2), int64_t(3), int64_t(1000)}) {
    for (int64_t delta = -1; delta <= 1; ++delta) {
      const int64_t value = k * d + delta;
      if (value >= 0 && value <= kLargestDividend) n.push_back(int(value));
    }
  }
  const int64_t top_multiple = kLargestDividend / d * int64_t(d);
  for (int64_t value : {top_multiple - 1, top_multiple, top_multiple + 1,
                        int64_t(kLargestDividend) - 1, int64_t(kLargestDividend)}) {
    if (value >= 0 && value <= kLargestDividend) n.push_back(int(value));
  }
  std::uniform_int_distribution<int> any(0, kLargestDividend);
  for (int i = 0; i < 64; ++i) n.push_back(any(rng));
  return n;
}

void expect_exact(uint32_t d, std::mt19937& rng) {
  const FastDivider f = make_fast_divider(d);
  ASSERT_EQ(f.divisor, d);
  for (int n : dividends_for(d, rng)) {
    ASSERT_EQ(divide(f, n), int(n / int64_t(d))) << n << " / " << d;
  }
}

TEST(FastDivider, EveryDivisorUpTo4096) {
  std::mt19937 rng(1);
  for (uint32_t d = 1; d <= 4096; ++d) expect_exact(d, rng);
}

TEST(FastDivider, LargeAndExtremeDivisors) {
  std::mt19937 rng(2);
  for (uint32_t d : {4097u, 65535u, 65536u, 65537u, 1000003u, (1u << 30) - 1, 1u << 30,
                     (1u << 30) + 1, (1u << 31) - 1}) {
    expect_exact(d, rng);
  }
  std::uniform_int_distribution<uint32_t> any_divisor(1, (1u << 31) - 1);
  for (int i = 0; i < 2000; ++i) expect_exact(any_divisor(rng), rng);
}

// Powers of two divide by a shift alone (multiplier 1): the page sizes
// serving stacks use.
TEST(FastDivider, PowersOfTwoAreShifts) {
  for (uint32_t shift = 0; shift <= 30; ++shift) {
    const FastDivider f = make_fast_divider(1u << shift);
    EXPECT_EQ(f.multiplier, 1u);
    EXPECT_EQ(f.shift, shift);
  }
}

// Every dividend for a few small divisors, where the page sizes of the
// tests live (1, 3, 16, 64, 100 tokens): the whole range in a stride that
// visits every residue.
TEST(FastDivider, DenseDividendsForSmallDivisors) {
  for (uint32_t d : {1u, 3u, 7u, 16u, 64u, 100u, 129u}) {
    const FastDivider f = make_fast_divider(d);
    for (int64_t n = 0; n <= kLargestDividend; n += 65521) {  // a prime stride
      ASSERT_EQ(divide(f, int(n)), int(n / d)) << n << " / " << d;
    }
    for (int n = 0; n < 1 << 20; ++n) ASSERT_EQ(divide(f, n), int(n / d)) << n << " / " << d;
  }
}

}  // namespace
}  // namespace mladec::test
