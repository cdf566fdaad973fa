// The GPU backend: mladec::DeviceStep (plan_on_device + decode) on GPU 0.
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "mladec/device_step.h"
#include "mladec/error.h"
#include "src/cuda/captured_graph.h"
#include "src/cuda/cuda_check.h"
#include "src/cuda/step_timeline.h"
#include "tools/backend.h"

namespace mladec::cli {

namespace {

// Sampling per DESIGN §8: a CUDA graph of back-to-back decode calls over a
// precomputed plan (no host work between calls), median over samples.
constexpr int kWarmupLaunches = 3;
constexpr int kCallsPerSample = 10;

using detail::cuda_check;

class Event {
 public:
  Event() { cuda_check(cudaEventCreate(&event_), "cudaEventCreate"); }
  ~Event() { cudaEventDestroy(event_); }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  cudaEvent_t get() const { return event_; }

 private:
  cudaEvent_t event_ = nullptr;
};

std::string device_description(int device) {
  cudaDeviceProp prop{};
  cuda_check(cudaGetDeviceProperties(&prop, device), "cudaGetDeviceProperties");
  return "gpu " + std::to_string(device) + ": " + prop.name + " (sm_" +
         std::to_string(prop.major) + std::to_string(prop.minor) + ", " +
         std::to_string(prop.multiProcessorCount) + " SMs)";
}

// The device planner reports lengths it cannot plan in the header instead of
// failing the launch; such a plan holds no work.
void require_planned(const DeviceStep& device_step) {
  const std::vector<std::byte> plan = device_step.download_plan();
  PlanHeader header;
  std::copy_n(plan.data() + device_step.layout().header_offset, sizeof(header),
              reinterpret_cast<std::byte*>(&header));
  if (header.status != 0) {
    throw Error(ErrorCode::kPlanInvalid,
                "the device planner rejected the lengths (status " +
                    std::to_string(header.status) + ")");
  }
}

Timing time_decode(DeviceStep& device_step, cudaStream_t stream, int samples) {
  // kCallsPerSample decode calls captured once, replayed per sample.
  const detail::CapturedGraph graph(stream, [&] {
    for (int i = 0; i < kCallsPerSample; ++i) device_step.decode(stream);
  });
  for (int i = 0; i < kWarmupLaunches; ++i) graph.launch(stream);
  Event start, stop;
  std::vector<double> per_call_us;
  for (int s = 0; s < samples; ++s) {
    cuda_check(cudaEventRecord(start.get(), stream), "cudaEventRecord");
    graph.launch(stream);
    cuda_check(cudaEventRecord(stop.get(), stream), "cudaEventRecord");
    cuda_check(cudaEventSynchronize(stop.get()), "decode (timed)");
    float ms = 0;
    cuda_check(cudaEventElapsedTime(&ms, start.get(), stop.get()),
               "cudaEventElapsedTime");
    per_call_us.push_back(1000.0 * ms / kCallsPerSample);
  }
  std::sort(per_call_us.begin(), per_call_us.end());
  const size_t n = per_call_us.size();
  const double median =
      n % 2 == 1 ? per_call_us[n / 2]
                 : 0.5 * (per_call_us[n / 2 - 1] + per_call_us[n / 2]);
  return Timing{median, per_call_us.front(), samples, kCallsPerSample};
}

// MLADEC_STEP_TIMELINE=N (a build configured with -DMLADEC_BLOCK_TRACE=ON):
// N replays of a graph of the whole step (plan, decode, combine; the
// benchmark times decode and combine only), then the last replay's timeline
// on stderr (src/cuda/step_timeline.cuh; scripts/step-timeline-summary.py
// reads it).
void print_step_timeline_if_asked(DeviceStep& device_step, cudaStream_t stream) {
  const char* replays_text = std::getenv("MLADEC_STEP_TIMELINE");
  if (replays_text == nullptr) return;
  const int replays = std::max(1, std::atoi(replays_text));
  const DeviceStepGraph graph(device_step, stream);
  for (int i = 0; i < replays; ++i) graph.launch(stream);
  cuda_check(cudaStreamSynchronize(stream), "step timeline replays");
  detail::print_step_timeline(stderr);
}

}  // namespace

std::string gpu_unavailable_reason() {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    cudaGetLastError();  // leave no sticky error behind for the CPU path
    return std::string("no usable CUDA device (") + cudaGetErrorName(status) +
           ": " + cudaGetErrorString(status) + ")";
  }
  if (count == 0) return "no CUDA device";
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, 0) != cudaSuccess) {
    cudaGetLastError();
    return "cudaGetDeviceProperties(0) failed";
  }
  // sm_90a code runs on sm_90 devices only.
  if (prop.major != 9 || prop.minor != 0) {
    return std::string("gpu 0 (") + prop.name + ") is sm_" +
           std::to_string(prop.major) + std::to_string(prop.minor) +
           "; mladec's kernels are built for sm_90a (Hopper)";
  }
  return "";
}

BackendRun run_on_gpu(const RandomStep& step, const KernelConfig& config, int workers,
                      int timing_samples) {
  cuda_check(cudaSetDevice(0), "cudaSetDevice(0)");
  DeviceStep device_step(step.problem, step.inputs, workers, config);
  const DeviceStream stream;
  device_step.poison_outputs(stream.get());
  device_step.plan(stream.get());
  device_step.decode(stream.get());
  cuda_check(cudaStreamSynchronize(stream.get()), "plan_on_device + decode");
  require_planned(device_step);

  BackendRun run;
  run.device = device_description(0);
  run.workers = device_step.layout().workers;
  run.outputs = device_step.download_outputs();
  if (timing_samples > 0) {
    run.timing = time_decode(device_step, stream.get(), timing_samples);
  }
  print_step_timeline_if_asked(device_step, stream.get());
  return run;
}

}  // namespace mladec::cli
