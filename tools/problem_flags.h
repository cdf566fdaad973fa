#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "mladec/config.h"
#include "mladec/random_inputs.h"
#include "src/core/config_knobs.h"
#include "tools/args.h"

namespace mladec::cli {

// An H200's SM count: the worker count when no GPU decides it, so CPU plans
// look like the GPU's.
inline constexpr int kDefaultWorkers = 132;

// Per-command defaults of the problem flags.
struct ProblemDefaults {
  int batch;
  int heads;
  int q_len;
  int page_size;
  int seqlen;
};

// The decode step the problem flags describe.
struct ProblemFlags {
  int batch = 0;
  int heads = 0;
  int q_len = 0;
  int page_size = 0;
  int seqlen = 0;
  int varlen_mean = 0;  // > 0: lengths ~ N(mean, mean/2) instead of seqlen
  bool ragged = false;
  bool causal = true;
  SchedulePolicy policy = SchedulePolicy::kBalanced;
  int chunk_tokens = 0;  // FixedChunk split size; 0: the config's
  KvDtype kv_dtype = KvDtype::kBf16;
  bool fp8_compute = false;  // DecodeProblem::fp8_compute
  uint64_t seed = 1;
};

// Reads the flags problem_flags_help() lists.
ProblemFlags take_problem_flags(Args& args, const ProblemDefaults& defaults);
std::string problem_flags_help(const ProblemDefaults& defaults);

// The planner knobs' flags (src/core/config_knobs.h), the benchmark's of the
// same names: each sets its KernelConfig field instead of select_config()'s.
detail::ConfigKnobValues take_config_knob_flags(Args& args);
std::string config_knob_flags_help();
// select_config(problem) with the knobs set.
KernelConfig configure(const DecodeProblem& problem, const detail::ConfigKnobValues& knobs);

// Per-request KV and query lengths drawn from the flags (seeded).
struct StepLengths {
  std::vector<int32_t> seqlens;
  std::vector<int32_t> q_lens;
  std::vector<int32_t> qo_indptr;  // [batch + 1]
};
StepLengths step_lengths(const ProblemFlags& flags);

// A problem whose cache and block table just fit the lengths: what planning
// needs, without generating any KV data.
DecodeProblem shape_problem(const ProblemFlags& flags,
                            const StepLengths& lengths);

// Random inputs with these lengths (mladec::make_random_step).
RandomStep random_step(const ProblemFlags& flags, const StepLengths& lengths);

// One line: "batch 8, heads 128, q_len 1, ..." for reports.
std::string describe(const ProblemFlags& flags, const StepLengths& lengths);

}  // namespace mladec::cli
