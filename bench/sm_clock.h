#pragma once
#include <cuda_runtime_api.h>

#include "mladec/device_step.h"

namespace mladec::bench {

// The SM clock in MHz, read right after a timing, so that every result
// says which clock it ran at. A compute-bound cell's time follows the
// clock, and the clock follows how long the GPU has been loaded: nvidia-smi
// read 1965-1980 MHz through 128x4096 h_q 128 timed as the benchmark times
// it, and 1560-1740 MHz, the power cap given as the reason, through
// 128x8192 h_q 128 after a 200 ms warm-up, which then took 590 µs instead
// of 515 (bench/NOTES.md v85). The probe is made before the timing, so
// that reading it allocates nothing between the timing and the probe.
class SmClockProbe {
 public:
  SmClockProbe();
  // The median over the SMs of each one's clock over 30 µs; 0 when the
  // probe could not run.
  double read_mhz(cudaStream_t stream) const;

 private:
  int sms_;
  DeviceBuffer rates_;
};

}  // namespace mladec::bench
