#include "bench/sm_clock.h"

#include <chrono>
#include <cstdint>
#include <thread>
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

const SmClockProbe& sm_clock_probe() {
  static const SmClockProbe* probe = new SmClockProbe();
  return *probe;
}

namespace {

ClockSettle& clock_settle_record() {
  static ClockSettle record;
  return record;
}

// The device's peak SM clock in MHz (0 if it cannot be read).
double peak_sm_mhz() {
  int device = 0, khz = 0;
  if (cudaGetDevice(&device) != cudaSuccess ||
      cudaDeviceGetAttribute(&khz, cudaDevAttrClockRate, device) != cudaSuccess) {
    return 0;
  }
  return khz * 1e-3;
}

}  // namespace

void settle_sm_clock(cudaStream_t stream) {
  ClockSettle& record = clock_settle_record();
  record = ClockSettle{};
  if (settle_bound_seconds() <= 0) return;
  const SmClockProbe& probe = sm_clock_probe();
  static const double target_mhz = kSettledShare * peak_sm_mhz();
  // Idle steps between readings: the probe's own 30 µs are a 0.6% load.
  constexpr auto kIdleStep = std::chrono::milliseconds(5);
  const auto start = std::chrono::steady_clock::now();
  double waited = 0;
  for (;;) {
    const double mhz = probe.read_mhz(stream);
    if (record.first_mhz == 0) record.first_mhz = mhz;
    record.start_mhz = mhz;
    waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    record.settled = mhz >= target_mhz && target_mhz > 0 && waited >= kSettleMinIdleSeconds;
    if (record.settled || mhz == 0 || waited >= settle_bound_seconds()) break;
    std::this_thread::sleep_for(kIdleStep);
  }
  record.waited_ms = waited * 1e3;
}

const ClockSettle& last_clock_settle() { return clock_settle_record(); }

}  // namespace mladec::bench
