#include "bench/sm_clock.h"

#include <cstdint>
#include <vector>

#include "bench/event_timer.h"
#include "mladec/decode.h"
#include "src/cuda/hopper.cuh"

namespace mladec::bench {
namespace {

// Long enough that the 32 ns steps of %globaltimer are 0.1% of it, short
// enough that the probe itself does not warm the GPU.
constexpr uint64_t kProbeNs = 30000;

// One CTA per SM; its first thread counts SM cycles (clock64) against
// %globaltimer's nanoseconds for kProbeNs.
__global__ void clock_probe_kernel(float* mhz) {
  if (threadIdx.x != 0) return;
  const uint64_t start_ns = detail::global_timer_ns();
  const long long start_cycles = clock64();
  uint64_t now_ns;
  long long now_cycles;
  do {
    now_ns = detail::global_timer_ns();
    now_cycles = clock64();
  } while (now_ns - start_ns < kProbeNs);
  mhz[blockIdx.x] = float(double(now_cycles - start_cycles) * 1e3 / double(now_ns - start_ns));
}

}  // namespace

SmClockProbe::SmClockProbe()
    : sms_(device_worker_count()), rates_(sizeof(float) * (sms_ > 0 ? sms_ : 1)) {}

double SmClockProbe::read_mhz(cudaStream_t stream) const {
  if (sms_ <= 0) return 0;
  clock_probe_kernel<<<sms_, 32, 0, stream>>>(static_cast<float*>(rates_.get()));
  if (cudaGetLastError() != cudaSuccess || cudaStreamSynchronize(stream) != cudaSuccess) return 0;
  std::vector<float> mhz(sms_);
  rates_.download(mhz.data(), sizeof(float) * sms_);
  return median(std::vector<double>(mhz.begin(), mhz.end()));
}

}  // namespace mladec::bench
