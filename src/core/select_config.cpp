#include "mladec/config.h"

namespace mladec {

KernelConfig select_config(const DecodeProblem& problem) {
  validate_problem(problem);
  KernelConfig config;
  // Up to 16 query rows per request (32 with a bf16 cache) run the
  // transposed form, whose wgmma N is the tile's rows instead of 64 padded
  // rows. Measured on the H200 (bench/NOTES.md, v6): bf16 0.72x the row
  // form's time at <= 16 rows and 0.84x at 17..32; the fp8 formats 0.91-0.99x
  // at <= 16 but 1.14-1.25x at 17..32, so they keep 64-row tiles there.
  const int64_t rows = int64_t(problem.max_q_len) * problem.num_heads;
  const bool bf16 = problem.kv_dtype == KvDtype::kBf16;
  config.tile_rows = rows <= 16 ? 16 : (rows <= 32 && bf16) ? 32 : 64;
  if (problem.fixed_chunk_tokens > 0) {
    config.fixed_chunk_tokens = problem.fixed_chunk_tokens;
  }
  return config;
}

}  // namespace mladec
