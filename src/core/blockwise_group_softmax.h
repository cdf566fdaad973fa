#pragma once
// The online softmax of blockwise fp8 caches on the register-A path, where
// V's 128-value group scales fold into P instead of into V (bench/NOTES.md
// "Plan: blockwise at 16 rows through register-A"). Oᵀ's latent tiles of
// group g take Pᵀ_g, one f16 tile per group — but not P · scale rounded to
// f16: a scale is any float, and f16 (normal from 2^-14, largest 65504)
// would lose a token whose scale is tiny while its P dominates, or overflow
// on a large one. So each query row keeps, per group, a base of its own:
//
//   S_g(t) = S(t) + log2 |scale_g(t)|            (group_shift)
//   Pᵀ_g(t) = sign(scale_g(t)) · 2^(S_g(t) − base_g)   in [-1, 1]   (group_weight)
//   base_g = the running maximum of S_g over the keys seen (softmax_base)
//
// — what f16 drops is below 2^-24 of that group's largest term — and the
// group's accumulators are rescaled by 2^(old base_g − new base_g) when it
// moves, as the plain softmax rescales by its own base. The denominator
// stays on the plain S and its base; at the end group g's output is its
// accumulators times 2^(base_g − base) / total (group_output_factor).
//
// Plain functions of floats, shared by the kernel and
// tests/blockwise_group_softmax_test.cpp, which runs the whole online
// algorithm on the CPU with f16 rounding of every Pᵀ_g against the float64
// reference, including the cases the rounded P · scale gets wrong. Their
// 2^x and log2 are parameters: exp2f / log2f by default (the test), the
// kernel's MUFU forms there (Exp2Flush, Lg2Approx).
#include <cmath>

#include "src/core/host_device.h"

namespace mladec::detail {

struct Exp2 {
  MLADEC_HD float operator()(float x) const { return exp2f(x); }
};
struct Log2 {
  MLADEC_HD float operator()(float x) const { return log2f(x); }
};

// log2 |scale|; -inf for a zero scale (its group weights are 0).
template <typename Log2Fn = Log2>
MLADEC_HD float group_shift(float scale, Log2Fn log2 = {}) {
  const float shift = log2(fabsf(scale));
  return scale == 0.f ? -INFINITY : shift;  // whatever log2(0) gives
}

// What a running maximum subtracts: 0 while no key has been seen, so that
// every 2^(x − base) is 0 rather than NaN.
MLADEC_HD float softmax_base(float running_max) {
  return running_max == -INFINITY ? 0.f : running_max;
}

// The factor that moves a running sum or accumulators from the old maximum
// to the new base: 2^(old − new base), 0 while nothing was seen (old
// −inf) — not 2^(softmax_base(old) − new base), which overflows to inf
// (and inf · 0 = NaN) when the new base is below −128.
template <typename Exp2Fn = Exp2>
MLADEC_HD float softmax_rescale(float old_running_max, float new_base, Exp2Fn exp2 = {}) {
  return exp2(old_running_max - new_base);
}

// Pᵀ_g's value for a key: sign(scale) · 2^(shifted − base), |·| <= 1 when
// base is the running maximum of the shifted scores.
template <typename Exp2Fn = Exp2>
MLADEC_HD float group_weight(float shifted_score, float base, float scale, Exp2Fn exp2 = {}) {
  return copysignf(exp2(shifted_score - base), scale);
}

// The factor that turns group g's accumulators into the output:
// 2^(group_base − base) / total; 0 when no key was seen (total 0).
MLADEC_HD float group_output_factor(float group_base, float base, float total) {
  return total > 0.f ? exp2f(group_base - base) / total : 0.f;
}

}  // namespace mladec::detail
