#include "tools/decode_job.h"

#include <cstdio>
#include <stdexcept>

#include "mladec/compare.h"
#include "mladec/config.h"
#include "mladec/constants.h"
#include "tools/backend.h"

namespace mladec::cli {

namespace {

// Which backend runs the step; prints why when auto falls back to the CPU.
bool use_gpu(BackendChoice choice) {
  if (choice == BackendChoice::kCpu) return false;
  const std::string reason = gpu_unavailable_reason();
  if (reason.empty()) return true;
  if (choice == BackendChoice::kGpu) {
    throw std::runtime_error("--backend gpu: " + reason);
  }
  std::printf("no GPU backend: %s; running on the CPU\n", reason.c_str());
  return false;
}

// DESIGN §8 accounting: KV bytes read + q + out; 2176 FLOPs per (row, token).
void print_throughput(const RandomStep& step, double us) {
  const DecodeProblem& p = step.problem;
  const HostDecodeInputs& in = step.inputs;
  double bytes = double(p.total_q) * p.num_heads * (kHeadDim + kLatentDim) * 2;
  double flops = 0;
  for (int b = 0; b < p.batch; ++b) {
    const double rows = double(in.qo_indptr[b + 1] - in.qo_indptr[b]) * p.num_heads;
    bytes += double(in.seqlens[b]) * kv_token_bytes(p.kv_dtype);
    flops += kFlopsPerRowToken * rows * in.seqlens[b];
  }
  std::printf("throughput: %.2f TB/s, %.1f TFLOPS\n", bytes / us * 1e-6,
              flops / us * 1e-6);
}

void print_timing(const BackendRun& run, bool gpu, const RandomStep& step) {
  const Timing& t = *run.timing;
  if (!gpu) {
    std::printf("execute_plan: %.1f ms (the float64 CPU executor proves "
                "plans; it is not a fast path)\n",
                t.median_us * 1e-3);
    return;
  }
  std::printf("decode: %.1f us per call (median of %d samples, each a CUDA "
              "graph of %d calls over a precomputed plan; min %.1f us)\n",
              t.median_us, t.samples, t.calls_per_sample, t.min_us);
  print_throughput(step, t.median_us);
}

}  // namespace

JobFlags take_job_flags(Args& args) {
  JobFlags job;
  const std::string backend =
      args.take_choice("backend", "auto", {"auto", "cpu", "gpu"});
  job.backend = backend == "auto"  ? BackendChoice::kAuto
                : backend == "cpu" ? BackendChoice::kCpu
                                   : BackendChoice::kGpu;
  job.workers = int(args.take_int("workers", 0, 1, INT32_MAX));
  job.knobs = take_config_knob_flags(args);
  return job;
}

std::string job_flags_help() {
  return "  --backend NAME     auto | cpu | gpu (default auto: the GPU when "
         "there is a\n"
         "                     usable one, else the CPU plan executor)\n"
         "  --workers W        persistent workers (default: the GPU's SM "
         "count; " +
         std::to_string(kDefaultWorkers) + " on the CPU)\n" + config_knob_flags_help();
}

int run_decode_job(const char* command, const ProblemFlags& flags,
                   const JobFlags& job, int timing_samples) {
  const StepLengths lengths = step_lengths(flags);
  std::printf("mladec %s: %s\n", command, describe(flags, lengths).c_str());
  const bool gpu = use_gpu(job.backend);
  const RandomStep step = random_step(flags, lengths);
  const KernelConfig config = configure(step.problem, job.knobs);
  const BackendRun run =
      gpu ? run_on_gpu(step, config, job.workers, timing_samples)
          : run_on_cpu(step, config, job.workers > 0 ? job.workers : kDefaultWorkers);
  std::printf("backend: %s, %d workers\n", run.device.c_str(), run.workers);
  if (timing_samples > 0) print_timing(run, gpu, step);

  const HostDecodeOutputs reference = reference_decode(step.problem, step.inputs);
  const Comparison c =
      compare_outputs(step.problem, step.inputs, reference, run.outputs);
  // The fp8-compute mode's reference quantizes Q as the kernel does; P's
  // e4m3 rounding (on the GPU) is what its tolerance covers.
  const Tolerance tolerance = !gpu                 ? kCpuTolerance
                              : config.fp8_compute ? kFp8ComputeTolerance
                                                   : kGpuTolerance;
  const bool pass = within(c, tolerance);
  std::printf("vs reference: out rel error %.3g (limit %.0e), max |lse error| "
              "%.3g (limit %.0e)\n",
              c.relative_error, tolerance.relative, c.max_lse_error,
              tolerance.lse);
  if (c.bad_rows > 0) {
    std::printf("%lld bad rows; first: %s\n",
                static_cast<long long>(c.bad_rows), c.first_bad.c_str());
  }
  std::printf("%s\n", pass ? "PASS" : "FAIL");
  return pass ? 0 : 1;
}

}  // namespace mladec::cli
