#pragma once
#include <cuda_runtime_api.h>

#include <algorithm>
#include <vector>

#include "bench/sm_clock.h"
#include "src/cuda/cuda_check.h"

namespace mladec::bench {

inline double median(std::vector<double> values) {
  std::nth_element(values.begin(), values.begin() + values.size() / 2, values.end());
  return values[values.size() / 2];
}

// Seconds one run of fn() takes on `stream`, timed with CUDA events (fn
// enqueues the work; the call waits for it).
template <typename Fn>
double elapsed_seconds(cudaStream_t stream, Fn&& fn) {
  using detail::cuda_check;
  cudaEvent_t start, stop;
  cuda_check(cudaEventCreate(&start), "cudaEventCreate");
  cuda_check(cudaEventCreate(&stop), "cudaEventCreate");
  cuda_check(cudaEventRecord(start, stream), "cudaEventRecord");
  fn();
  cuda_check(cudaEventRecord(stop, stream), "cudaEventRecord");
  cuda_check(cudaEventSynchronize(stop), "cudaEventSynchronize");
  float ms = 0;
  cuda_check(cudaEventElapsedTime(&ms, start, stop), "cudaEventElapsedTime");
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  return ms * 1e-3;
}

// The least warm-up before each timing, in seconds (mladec_bench
// --warmup-ms; 0, the default: the untimed runs alone, the protocol of
// every benchmark of record). The clocks a case runs at depend on how long
// the GPU has been loaded: after 25 ms of warm-up the compute-bound h_q 128
// cells read 6-11% slower than after three runs (~0.5 ms), and the first
// fp8 case after the compute-bound bf16 ones 88 us instead of 93 (alone:
// 82). bench/NOTES.md v84.
inline double& min_warmup_seconds() {
  static double seconds = 0;
  return seconds;
}

// Median seconds of `repeats` runs of fn() on `stream` after the clock has
// settled (settle_sm_clock; --settle-ms 0 turns it off) and the warm-up (at
// least `warmup` untimed runs and min_warmup_seconds()).
template <typename Fn>
double median_seconds(cudaStream_t stream, int warmup, int repeats, Fn&& fn) {
  settle_sm_clock(stream);
  double warmed = 0;
  for (int i = 0; i < warmup || warmed < min_warmup_seconds(); ++i) {
    warmed += elapsed_seconds(stream, fn);
  }
  std::vector<double> seconds;
  for (int i = 0; i < repeats; ++i) seconds.push_back(elapsed_seconds(stream, fn));
  return median(seconds);
}

}  // namespace mladec::bench
