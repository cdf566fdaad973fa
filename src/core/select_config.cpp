#include "mladec/config.h"

namespace mladec {

KernelConfig select_config(const DecodeProblem& problem) {
  validate_problem(problem);
  KernelConfig config;
  if (problem.fixed_chunk_tokens > 0) {
    config.fixed_chunk_tokens = problem.fixed_chunk_tokens;
  }
  return config;
}

}  // namespace mladec
