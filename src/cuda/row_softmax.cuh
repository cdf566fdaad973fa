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
// score_scale(h) (>= 0: the softmax scale times a row's power-of-two Q
// factor, which underflows to 0 for tiny rows), the new row maxima over the
// quad, the factors that take the running state to them (`scale`; rows.sum
// is rescaled here), and s = 2^(s · score_scale - maximum + p_shift) added
// to rows.sum (p_shift: 0, or the fp8-compute mode's 2^8 headroom of e4m3 P).
// A block that every row of the thread sees whole — all but a piece's edge
// blocks and the causal diagonal — skips the mask's 64 compares and 32
// selects: its maxima are taken over the unscaled scores and scaled once
// (a factor >= 0 keeps the order, and rounding is monotonic), and the
// scale goes into each exponent's FFMA. A masked block scales its visible
// scores first, as before: its -inf entries times a factor of 0 would be
// NaN (session 29: the query-range test's 2^-60 rows).
template <typename ScoreScale>
__device__ __forceinline__ void row_block_softmax(float (&s)[32], float (&scale)[2],
                                                  RowState& rows, ScoreScale score_scale,
                                                  float p_shift, int token0, int kv_begin,
                                                  const int (&row_end)[2]) {
  const float factor[2] = {score_scale(0), score_scale(1)};
  float block_max[2] = {-INFINITY, -INFINITY};
  // The thread's tokens are token0 + 8n + (x & 1), n < 8: token0 .. token0 + 57.
  const bool whole = token0 >= kv_begin && token0 + 57 < min(row_end[0], row_end[1]);
  if (whole) {
#pragma unroll
    for (int n = 0; n < 8; ++n) {
#pragma unroll
      for (int x = 0; x < 4; ++x) block_max[x >> 1] = fmaxf(block_max[x >> 1], s[4 * n + x]);
    }
    // Scaled before the quad's exchange: its other threads may hold a
    // masked block's scaled maxima.
    block_max[0] *= factor[0];
    block_max[1] *= factor[1];
  } else {
#pragma unroll
    for (int n = 0; n < 8; ++n) {
#pragma unroll
      for (int x = 0; x < 4; ++x) {
        const int j = token0 + n * 8 + (x & 1);
        const int h = x >> 1;
        float& v = s[4 * n + x];
        v = j >= kv_begin && j < row_end[h] ? v * factor[h] : -INFINITY;
        block_max[h] = fmaxf(block_max[h], v);
      }
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
    const float exponent_factor = whole ? factor[h] : 1.f;  // a masked block's s is scaled
#pragma unroll
    for (int n = 0; n < 8; ++n) {
      s[4 * n + 2 * h] = exp2_flush(fmaf(s[4 * n + 2 * h], exponent_factor, -shifted));
      s[4 * n + 2 * h + 1] = exp2_flush(fmaf(s[4 * n + 2 * h + 1], exponent_factor, -shifted));
      rows.sum[h] += s[4 * n + 2 * h] + s[4 * n + 2 * h + 1];
    }
  }
}

// O's rows (a 64 x 256 half: element k in row r0 + 8 ((k >> 1) & 1)) to
// the new maxima, skipped by the threads whose rows did not move (a factor
// of exactly 1: exp2(0)), the common case once the first blocks have set
// the maxima. The fence keeps the multiplies before the next wgmma (some
// sank past one, and ptxas serialized every wgmma: C7515).
__device__ __forceinline__ void rescale_output(float (&acc)[128], const float (&scale)[2]) {
  if (scale[0] != 1.f || scale[1] != 1.f) {
#pragma unroll
    for (int k = 0; k < 128; ++k) acc[k] *= scale[(k >> 1) & 1];
  }
  fence_registers(acc);
}

}  // namespace mladec::detail
