#pragma once
// Division by a divisor fixed at launch (the page size), as a multiply-high,
// an add and a shift instead of the ~28 instructions and the reciprocal's
// latency of a 32-bit integer division on the GPU. The decode producer
// divides a token index by the page size for every block it loads, on the
// way to the block's first load (bench/NOTES.md v71).
//
// The round-up method: with s the least power of two exponent such that
// 2^s >= d, and m = floor(2^32 (2^s - d) / d) + 1, every n < 2^31 has
//   n / d = (umulhi(n, m) + n) >> s
// (umulhi(n, m) + n < 2^32 there, so the sum needs no 33rd bit).
#include <cstdint>

#include "src/core/host_device.h"

namespace mladec::detail {

struct FastDivider {
  uint32_t divisor = 1;
  uint32_t multiplier = 1;  // m above (1 for every power of two)
  uint32_t shift = 0;       // s above
};

// d >= 1 (callers validate the page size first).
inline FastDivider make_fast_divider(uint32_t d) {
  FastDivider f;
  f.divisor = d;
  while ((uint64_t(1) << f.shift) < d) ++f.shift;
  f.multiplier =
      uint32_t(((uint64_t(1) << 32) * ((uint64_t(1) << f.shift) - d)) / d + 1);
  return f;
}

MLADEC_HD uint32_t multiply_high(uint32_t a, uint32_t b) {
#if defined(__CUDA_ARCH__)
  return __umulhi(a, b);
#else
  return uint32_t((uint64_t(a) * b) >> 32);
#endif
}

// n / f.divisor for 0 <= n < 2^31.
MLADEC_HD int divide(const FastDivider& f, int n) {
  return int((multiply_high(uint32_t(n), f.multiplier) + uint32_t(n)) >> f.shift);
}

// n / f.divisor and n % f.divisor (the page of a token and its place there).
struct QuotientRemainder {
  int quotient;
  int remainder;
};
MLADEC_HD QuotientRemainder divide_with_remainder(const FastDivider& f, int n) {
  const int quotient = divide(f, n);
  return {quotient, n - quotient * int(f.divisor)};
}

}  // namespace mladec::detail
