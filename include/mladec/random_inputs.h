#pragma once
#include <cstdint>
#include <vector>

#include "mladec/reference.h"

namespace mladec {

// A random decode step for checks, tests and benchmarks.
struct RandomStepSpec {
  int num_heads = 128;
  int page_size = 64;
  KvDtype kv_dtype = KvDtype::kBf16;
  SchedulePolicy policy = SchedulePolicy::kBalanced;
  bool causal = true;
  std::vector<int32_t> seqlens;  // KV length per request
  std::vector<int32_t> q_lens;   // query tokens per request; all equal and
                                 // ragged_q == false gives a uniform problem
  bool ragged_q = false;
  int spare_pages_per_request = 1;  // block-table columns past the longest
  uint64_t seed = 1;
};

struct RandomStep {
  DecodeProblem problem;
  HostDecodeInputs inputs;
};

// Fresh random q (N(0,1) in bf16) and KV (per dtype, with random fp8 scales),
// pages scattered in a random order. Every KV slot no request uses holds NaN
// and every block-table entry past a request's pages holds a huge index, so a
// kernel that reads them produces NaN or faults instead of passing.
RandomStep make_random_step(const RandomStepSpec& spec);

// Lengths ~ N(mean, mean/2) clipped to [min_len, max_len], as DESIGN §8 uses.
std::vector<int32_t> random_varlen(int batch, int mean, int min_len,
                                   int max_len, uint64_t seed);

}  // namespace mladec
