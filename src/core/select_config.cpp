#include "mladec/config.h"

namespace mladec {

KernelConfig select_config(const DecodeProblem& problem) {
  validate_problem(problem);
  KernelConfig config;
  // Up to 32 query rows per request run the transposed form, whose wgmma N
  // is the tile's rows: 16 or 32 instead of 64 padded rows.
  const int64_t rows = int64_t(problem.max_q_len) * problem.num_heads;
  config.tile_rows = rows <= 16 ? 16 : rows <= 32 ? 32 : 64;
  if (problem.fixed_chunk_tokens > 0) {
    config.fixed_chunk_tokens = problem.fixed_chunk_tokens;
  }
  return config;
}

}  // namespace mladec
