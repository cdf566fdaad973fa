#include "mladec/config.h"

namespace mladec {

KernelConfig select_config(const DecodeProblem& problem) {
  validate_problem(problem);
  KernelConfig config;
  // A whole 64-token block then always lies in one page, so one bulk tensor
  // copy can fetch it; other page sizes gather rows through the block table.
  config.kv_load = problem.page_size % config.kv_block_tokens == 0
                       ? KvLoadPath::kTma
                       : KvLoadPath::kGather;
  if (problem.fixed_chunk_tokens > 0) {
    config.fixed_chunk_tokens = problem.fixed_chunk_tokens;
  }
  return config;
}

const char* kv_load_path_name(KvLoadPath path) {
  switch (path) {
    case KvLoadPath::kTma: return "tma";
    case KvLoadPath::kGather: return "gather";
  }
  return "unknown";
}

}  // namespace mladec
