#pragma once
// The online softmax of the 64-row seesaw forms (decode_math_rows.cuh: bf16
// and the dequantizing fp8 producers; decode_math_fp8_compute.cuh: the
// fp8-compute mode): a block's S fragment (m64n64, rows r0 and r0 + 8 of a
// thread, tokens 8n + 2(lane % 4) + x % 2) over the rows a quad shares.
#include <cstdint>

#include "src/cuda/hopper.cuh"

namespace mladec::detail {

// Online-softmax state of the rows r0 and r0 + 8 a thread follows.
struct RowState {
  float max[2];
  float sum[2];  // this warpgroup's own blocks only, at the running maximum
};

// The owner's softmax of a block (its S waited for): tokens outside
// [kv_begin, row_end[h]) masked, the rest scaled into the exp2 domain by
// score_scale(h), the new row maxima over the quad, the factors that take
// the running state to them (`scale`; rows.sum is rescaled here), and
// s = 2^(s - maximum + p_shift) added to rows.sum (p_shift: 0, or the
// fp8-compute mode's 2^8 headroom of e4m3 P).
template <typename ScoreScale>
__device__ __forceinline__ void row_block_softmax(float (&s)[32], float (&scale)[2],
                                                  RowState& rows, ScoreScale score_scale,
                                                  float p_shift, int token0, int kv_begin,
                                                  const int (&row_end)[2]) {
  float block_max[2] = {-INFINITY, -INFINITY};
#pragma unroll
  for (int n = 0; n < 8; ++n) {
#pragma unroll
    for (int x = 0; x < 4; ++x) {
      const int j = token0 + n * 8 + (x & 1);
      const int h = x >> 1;
      const bool visible = j >= kv_begin && j < row_end[h];
      float& v = s[4 * n + x];
      v = visible ? v * score_scale(h) : -INFINITY;
      block_max[h] = fmaxf(block_max[h], v);
    }
  }
#pragma unroll
  for (int h = 0; h < 2; ++h) {
    block_max[h] = fmaxf(block_max[h], __shfl_xor_sync(0xffffffffu, block_max[h], 1));
    block_max[h] = fmaxf(block_max[h], __shfl_xor_sync(0xffffffffu, block_max[h], 2));
    const float new_max = fmaxf(rows.max[h], block_max[h]);
    // No visible key yet: subtract 0 so every exp2 is 0, not NaN.
    const float base = new_max == -INFINITY ? 0.f : new_max;
    scale[h] = exp2_flush(rows.max[h] - base);
    rows.max[h] = new_max;
    rows.sum[h] *= scale[h];
    const float shifted = base - p_shift;
#pragma unroll
    for (int n = 0; n < 8; ++n) {
      s[4 * n + 2 * h] = exp2_flush(s[4 * n + 2 * h] - shifted);
      s[4 * n + 2 * h + 1] = exp2_flush(s[4 * n + 2 * h + 1] - shifted);
      rows.sum[h] += s[4 * n + 2 * h] + s[4 * n + 2 * h + 1];
    }
  }
}

}  // namespace mladec::detail
