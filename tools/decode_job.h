#pragma once
#include <string>

#include "tools/args.h"
#include "tools/problem_flags.h"

namespace mladec::cli {

enum class BackendChoice { kAuto, kCpu, kGpu };

// The flags check and run share beyond the problem flags.
struct JobFlags {
  BackendChoice backend = BackendChoice::kAuto;
  int workers = 0;  // 0: the GPU's SM count, or kDefaultWorkers on the CPU
  detail::ConfigKnobValues knobs = detail::unset_config_knobs();  // planner knobs
};
JobFlags take_job_flags(Args& args);
std::string job_flags_help();

// Builds a random step, runs it on the chosen backend (timed with
// timing_samples > 0), compares it with reference_decode and prints the
// report. Returns 0 when within tolerance (DESIGN §7), 1 otherwise.
int run_decode_job(const char* command, const ProblemFlags& problem,
                   const JobFlags& job, int timing_samples);

}  // namespace mladec::cli
