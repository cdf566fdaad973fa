#pragma once
#include <optional>
#include <string>

#include "mladec/config.h"
#include "mladec/random_inputs.h"

namespace mladec::cli {

// Time of one decode call over several samples.
struct Timing {
  double median_us = 0;
  double min_us = 0;
  int samples = 0;
  int calls_per_sample = 0;
};

struct BackendRun {
  std::string device;  // what computed the result, for the report
  int workers = 0;
  HostDecodeOutputs outputs;
  std::optional<Timing> timing;
};

// The CPU plan executor (mladec::execute_plan on a host plan), float64;
// timed by the wall clock of that one call.
BackendRun run_on_cpu(const RandomStep& step, const KernelConfig& config, int workers);

// Empty when run_on_gpu() can run; otherwise why it cannot (no CUDA build,
// no device, not sm_90).
std::string gpu_unavailable_reason();

// plan_on_device + decode on GPU 0 with `workers` (0: its SM count). With
// timing_samples > 0 also times decode with CUDA events over a precomputed
// plan. Throws mladec::Error on any CUDA or API failure.
BackendRun run_on_gpu(const RandomStep& step, const KernelConfig& config, int workers,
                      int timing_samples);

}  // namespace mladec::cli
