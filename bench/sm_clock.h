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
// of 515 (bench/NOTES.md v85). One probe serves the whole run
// (sm_clock_probe), taken before a timing, so that reading it allocates
// nothing between the timing and the probe.
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

// The run's probe, made on first use and kept (never freed: a static's
// destructor would run after the CUDA runtime's teardown).
const SmClockProbe& sm_clock_probe();

// The order-independent protocol (mladec_bench --settle-ms MS): before each
// timing the GPU idles at least kSettleMinIdleSeconds and until the probe
// reads the peak SM clock again (at least kSettledShare of
// cudaDevAttrClockRate), for at most MS milliseconds. So a case no longer
// starts at the clock the cases before it left (the first fp8 case after
// the compute-bound bf16 ones: 92 µs at 1709 MHz, 82 alone; bench/NOTES.md
// v85). A bound below the floor cuts the floor short, and its cases count
// as unsettled. The default, 1000 ms, is the protocol of record since v87
// (v87: the clock alone, the longest wait 98 ms, from 1844 MHz; v88: the
// 100 ms floor too); --settle-ms 0, the protocol until v86: no wait.
inline double& settle_bound_seconds() {
  static double seconds = 1.0;
  return seconds;
}
constexpr double kSettledShare = 0.98;
// And at least this long: the probe reads only the clock, not the power
// controller's state. A case that starts at the peak clock right after the
// compute-bound ones can still be held back within its timing (e4m3 16
// rows after bf16 h_q 128: 86 µs, the clock 1954 → 1784 MHz; 81 alone),
// and the clock took 95-120 ms of idle to recover from 3 s at the cap
// (bench/NOTES.md v88): 100 ms lets that state decay before every case.
constexpr double kSettleMinIdleSeconds = 0.1;

// What the last settle did: how long it idled, the probe's first and last
// readings, and whether the last reached the peak share (false: the bound
// ended the wait). All zero when settling is off.
struct ClockSettle {
  double waited_ms = 0;
  double first_mhz = 0;
  double start_mhz = 0;
  bool settled = false;
};

// Idles until the SM clock is settled (above) on `stream`'s device and
// remembers the result in last_clock_settle(); nothing when
// settle_bound_seconds() is 0. Every timing calls it first
// (bench/event_timer.h: median_seconds).
void settle_sm_clock(cudaStream_t stream);
const ClockSettle& last_clock_settle();

}  // namespace mladec::bench
